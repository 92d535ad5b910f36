import type { AuditFilter } from '../audit/audit-filter.js';
import type { AuditFeed, FeedEntry, FeedSubscriber } from './audit-feed.js';
import { matchesAuditFilter } from './audit-filter-match.js';
import { sseFrame } from './sse-frame.js';
import { compareStreamPositions, formatStreamPosition, type StreamPosition } from './stream-position.js';

/** Where a live stream's events go: an SSE response in the api. */
export interface EventSink {
  send(event: string, data: unknown, id?: string): void;
  /** Frames already formatted (sseFrame), written at once. */
  sendFrames(frames: string): void;
  /** Resolves once what was sent so far is mostly flushed (back-pressure for replays). */
  drained(): Promise<void>;
  /** More than the configured limit sent and not yet taken by the client. */
  readonly backlogged: boolean;
  end(): void;
  readonly closed: boolean;
}

/** The furthest a stream may fall behind before it is dropped: batches fanned out but not yet handled. */
const MAX_PENDING_BATCHES = 64;

const END_OF_STREAM: StreamPosition = { tx: 2n ** 63n - 1n, id: 2n ** 63n - 1n };

/**
 * Follows the audit feed for one client: first the entries after its start position read from
 * Postgres (a `Last-Event-ID` resume, a `from`, or what the feed fanned out while the stream was
 * opening), then the live feed — joined synchronously once the read has caught up with the feed's
 * head, so no entry falls between the two and none comes twice.
 */
export abstract class FeedFollower implements FeedSubscriber {
  protected after: StreamPosition;
  private pending: Promise<void> = Promise.resolve();
  private pendingBatches = 0;
  private joined = false;
  private retained = false;

  protected constructor(
    protected readonly feed: AuditFeed,
    protected readonly filter: AuditFilter,
    protected readonly sink: EventSink,
  ) {
    this.after = { tx: 0n, id: 0n };
  }

  /** The feed's head when this stream opened: where a stream without replay starts. */
  protected head: StreamPosition = { tx: 0n, id: 0n };

  /**
   * Holds the feed open for this stream. Called before the response's headers go out: a client
   * that sees its stream open and then acts finds every entry its action writes in the stream.
   */
  async open(): Promise<void> {
    this.head = await this.feed.retain();
    this.retained = true;
  }

  deliver(entries: readonly FeedEntry[]): void {
    const matching = entries.filter(
      (e) => compareStreamPositions(e.position, this.after) > 0 && matchesAuditFilter(e.entry, this.filter),
    );
    if (matching.length === 0 || this.sink.closed) return;
    // A client still holding more than the limit unread when new entries come is too slow: it is
    // dropped (and resumes with Last-Event-ID), never buffered for without bound.
    if (this.sink.backlogged || ++this.pendingBatches > MAX_PENDING_BATCHES) {
      this.stop();
      return;
    }
    // Mark them taken now (the next batch is filtered against this), handle them in order.
    this.after = matching[matching.length - 1]!.position;
    this.pending = this.pending
      .then(() => (this.sink.closed ? undefined : this.handle(matching)))
      .catch(() => this.stop())
      .finally(() => this.pendingBatches--);
  }

  /** Reads from Postgres until caught up with the feed, then joins it. */
  protected async catchUp(): Promise<void> {
    for (;;) {
      if (this.sink.closed || !this.retained) return;
      const bound = this.feed.currentHead;
      if (compareStreamPositions(this.after, bound) < 0) {
        const entries = await this.feed.readBetween(this.filter, this.after, bound);
        if (entries.length > 0) {
          this.after = entries[entries.length - 1]!.position;
          await this.handle(entries);
          await this.sink.drained();
          continue;
        }
        this.after = bound;
      }
      // No await since the read above: the feed cannot have fanned anything out in between.
      const head = this.feed.currentHead;
      if (compareStreamPositions(head, bound) === 0 || compareStreamPositions(this.after, head) >= 0) {
        this.feed.join(this);
        this.joined = true;
        return;
      }
    }
  }

  /** Sends every matching entry after the start position as audit events (a finished run: nothing is in flight). */
  protected async replayToEnd(): Promise<void> {
    for (;;) {
      if (this.sink.closed) return;
      const entries = await this.feed.readBetween(this.filter, this.after, END_OF_STREAM);
      if (entries.length === 0) return;
      this.sendAudits(entries);
      this.after = entries[entries.length - 1]!.position;
      await this.sink.drained();
    }
  }

  /** Ends the stream (idempotent): leaves and releases the feed, ends the sink. */
  stop(): void {
    if (this.joined) this.feed.leave(this);
    this.joined = false;
    if (this.retained) this.feed.release();
    this.retained = false;
    if (!this.sink.closed) this.sink.end();
  }

  /** The entries as `event: audit` frames, in one write. */
  protected sendAudits(entries: readonly FeedEntry[]): void {
    let frames = '';
    for (const entry of entries) frames += auditFrame(entry);
    if (frames) this.sink.sendFrames(frames);
  }

  protected abstract handle(entries: readonly FeedEntry[]): Promise<void>;
}

/** The entry's frame, serialized on first use and shared by every stream the batch reaches. */
export function auditFrame(entry: FeedEntry): string {
  return (entry.frame ??= sseFrame('audit', JSON.stringify(entry.entry), formatStreamPosition(entry.position)));
}
