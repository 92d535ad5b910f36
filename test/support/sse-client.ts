import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  id?: string;
  data: any;
}

/**
 * A Server-Sent Events client over node:http (the bearer header, as a browser's fetch-based client
 * sends it), recording events and comment lines as they arrive. `pause()` stops reading the socket,
 * as a slow consumer does.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly req: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.feed(chunk));
    const end = () => {
      this.ended = true;
      this.notify();
    };
    response.on('end', end);
    response.on('close', end);
    response.on('error', end);
  }

  /** Opens the stream; resolves with the client (status 200) or with the status and the problem body. */
  static open(
    url: string,
    options: { token?: string; lastEventId?: string } = {},
  ): Promise<SseClient | { status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
      const req = request(url, { headers }, (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null }));
          return;
        }
        resolve(new SseClient(req, res));
      });
      req.on('error', reject);
      req.end();
    });
  }

  static async connect(url: string, options: { token?: string; lastEventId?: string } = {}): Promise<SseClient> {
    const client = await SseClient.open(url, options);
    if (!(client instanceof SseClient))
      throw new Error(`stream answered ${client.status}: ${JSON.stringify(client.body)}`);
    return client;
  }

  /** Waits until `done` holds for the events so far (or the stream ended, or the timeout). */
  async until(done: (events: SseEvent[]) => boolean, timeoutMs = 15000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events) && !this.ended && Date.now() < deadline) {
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
    return this.events;
  }

  /** Waits for the server to end the stream. */
  async end(timeoutMs = 15000): Promise<SseEvent[]> {
    await this.until(() => false, timeoutMs);
    return this.events;
  }

  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  close(): void {
    this.req.destroy();
  }

  audits(): any[] {
    return this.events.filter((e) => e.event === 'audit').map((e) => e.data);
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let boundary: number;
    while ((boundary = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = this.buffer.slice(0, boundary);
      this.buffer = this.buffer.slice(boundary + 2);
      const event: Partial<SseEvent> = {};
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) this.comments++;
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (event.event) this.events.push({ event: event.event, id: event.id, data: JSON.parse(data.join('\n')) });
    }
    this.notify();
  }

  private notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
