import { sseFrame, type EventSink } from '@baton/workflow';
import type { Response } from 'express';

export const SSE_CONTENT_TYPE = 'text/event-stream';

export interface SseLimits {
  heartbeatMs: number;
  /** Bytes written but not yet taken by the client beyond which it is dropped. */
  maxBufferedBytes: number;
  /** The caller's token expiry: the stream ends then (SPEC §13). */
  endsAt: Date;
}

/**
 * One Server-Sent Events response: `event:`/`id:`/`data:` frames, a comment line as heartbeat,
 * the end at token expiry. `backlogged` tells the stream a client leaves more than
 * `maxBufferedBytes` unread; the stream then drops it (see FeedFollower), so a slow reader costs
 * bounded memory.
 */
export class SseResponse implements EventSink {
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly res: Response,
    private readonly limits: SseLimits,
  ) {}

  open(): void {
    this.res.status(200);
    this.res.setHeader('Content-Type', `${SSE_CONTENT_TYPE}; charset=utf-8`);
    this.res.setHeader('Cache-Control', 'no-store');
    this.res.setHeader('X-Accel-Buffering', 'no'); // proxies such as nginx must not hold events back
    this.res.setHeader('X-Content-Type-Options', 'nosniff');
    this.res.flushHeaders();
    this.res.socket?.setNoDelay(true);
    this.res.on('close', () => this.finish());
    if (this.res.destroyed) {
      this.finish(); // the client left while the stream was opening
      return;
    }
    const heartbeat = setInterval(() => this.write(': keep-alive\n\n'), this.limits.heartbeatMs);
    const expiry = setTimeout(() => this.end(), Math.max(0, this.limits.endsAt.getTime() - Date.now()));
    this.timers.push(heartbeat, expiry);
  }

  get closed(): boolean {
    return this.ended;
  }

  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  send(event: string, data: unknown, id?: string): void {
    this.write(sseFrame(event, JSON.stringify(data), id));
  }

  sendFrames(frames: string): void {
    this.write(frames);
  }

  async drained(): Promise<void> {
    if (this.ended || this.res.writableLength <= this.limits.maxBufferedBytes / 2) return;
    await new Promise<void>((done) => {
      this.res.once('drain', done);
      this.onClose(done);
    });
  }

  end(): void {
    if (this.ended) return;
    // A backlogged client would hold the connection until it read everything: cut it instead.
    if (this.backlogged) this.res.destroy();
    else this.res.end();
    this.finish();
  }

  get backlogged(): boolean {
    return this.res.writableLength > this.limits.maxBufferedBytes;
  }

  private write(frame: string): void {
    if (!this.ended) this.res.write(frame);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
