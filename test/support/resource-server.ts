import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the resource server saw: enough to assert on tokens, idempotency keys and bodies. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

type Route = (request: RecordedRequest) => ScriptedResponse;

/**
 * A downstream service for tests that records every request. Routes answer with scripts: a fixed
 * answer, or a queue of answers (then the fallback), so "503 twice then 200" is one line.
 */
export class ResourceServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Route>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ResourceServer> {
    let self: ResourceServer | undefined;
    const server = createServer((req, res) => void self!.handle(req, res));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    self = new ResourceServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** `METHOD /path` answers `responses` in turn, then `fallback` (default 200 `{ok: true}`). */
  on(
    method: string,
    path: string,
    responses: ScriptedResponse[] | ScriptedResponse | Route,
    fallback: ScriptedResponse = { status: 200, body: { ok: true } },
  ): void {
    if (typeof responses === 'function') {
      this.routes.set(`${method} ${path}`, responses);
      return;
    }
    const queue = Array.isArray(responses) ? [...responses] : [];
    const always = Array.isArray(responses) ? fallback : responses;
    this.routes.set(`${method} ${path}`, () => queue.shift() ?? always);
  }

  seen(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text || undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body,
      at: Date.now(),
    };
    this.requests.push(recorded);
    const route = this.routes.get(`${recorded.method} ${recorded.path}`);
    const answer = route ? route(recorded) : { status: 404, body: { error: 'no such route' } };
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }
}
