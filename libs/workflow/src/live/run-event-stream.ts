import type { AuditFilter } from '../audit/audit-filter.js';
import { AuditOperation } from '../domain/constants.js';
import { isTerminalRunStatus, type RunStatus } from '../domain/state/run-status.js';
import type { EscalationQueries } from '../escalations/escalation-queries.js';
import type { RunService } from '../runs/run.service.js';
import type { Caller } from '@baton/platform';
import type { RunDetailView, RunView } from '../runs/run.views.js';
import type { AuditFeed, FeedEntry } from './audit-feed.js';
import { FeedFollower, type EventSink } from './feed-follower.js';
import type { StreamPosition } from './stream-position.js';

/** The SSE event names of SPEC §13. */
export const LiveEvent = {
  Snapshot: 'snapshot',
  Run: 'run',
  Node: 'node',
  Escalation: 'escalation',
  Audit: 'audit',
} as const;

const TERMINAL_OPERATIONS: ReadonlySet<string> = new Set([
  AuditOperation.RunSucceeded,
  AuditOperation.RunFailed,
  AuditOperation.RunCancelled,
]);
const ESCALATION_OPERATIONS: ReadonlySet<string> = new Set([
  AuditOperation.EscalationCreated,
  AuditOperation.EscalationResolved,
  AuditOperation.EscalationExpired,
]);

/**
 * `GET /v1/runs/{id}/events` (SPEC §13): the snapshot, the replay after `Last-Event-ID`, then each
 * audit entry of the run as it commits, each followed by the run, node and escalation views it
 * changed. The run's terminal `run` event is sent only after its terminal audit entry, and ends the
 * stream.
 */
export class RunEventStream extends FeedFollower {
  private lastRun = '';
  private readonly lastNodes = new Map<string, string>();
  private terminalSeen = false;

  constructor(
    feed: AuditFeed,
    sink: EventSink,
    private readonly runId: string,
    private readonly caller: Caller,
    private readonly runs: RunService,
    private readonly escalations: EscalationQueries,
  ) {
    super(feed, { tenant: caller.tenant, runId }, sink);
  }

  /** After open(); the caller may see the run (checked before). Resolves once it is live or over. */
  async start(resumeAfter: StreamPosition | undefined): Promise<void> {
    this.after = resumeAfter ?? this.head;
    const snapshot = await this.runs.get(this.runId, this.caller);
    this.sink.send(LiveEvent.Snapshot, snapshot);
    this.remember(snapshot);
    if (isTerminalRunStatus(snapshot.status)) {
      // Everything the run wrote has committed: replay it all (no horizon needed), then the end.
      if (resumeAfter) await this.replayToEnd();
      this.sink.send(LiveEvent.Run, runOf(snapshot));
      this.stop();
      return;
    }
    await this.catchUp();
  }

  protected async handle(entries: readonly FeedEntry[]): Promise<void> {
    const nodes = new Set<string>();
    const escalations = new Set<string>();
    this.sendAudits(entries);
    for (const entry of entries) {
      if (entry.entry.nodeId) nodes.add(entry.entry.nodeId);
      if (TERMINAL_OPERATIONS.has(entry.entry.operation)) this.terminalSeen = true;
      const escalationId = entry.entry.details?.escalationId;
      if (ESCALATION_OPERATIONS.has(entry.entry.operation) && typeof escalationId === 'string')
        escalations.add(escalationId);
    }
    const detail = await this.runs.get(this.runId, this.caller);
    for (const node of detail.nodes) {
      if (!nodes.has(node.id)) continue;
      const json = JSON.stringify(node);
      if (this.lastNodes.get(node.id) === json) continue;
      this.lastNodes.set(node.id, json);
      this.sink.send(LiveEvent.Node, node);
    }
    for (const id of escalations) {
      const escalation = await this.escalations.get(id, this.caller).catch(() => null);
      if (escalation) this.sink.send(LiveEvent.Escalation, escalation);
    }
    const run = runOf(detail);
    const terminal = isTerminalRunStatus(run.status as RunStatus);
    // A view read after a later commit can be terminal before its terminal entry reached the stream.
    if (terminal && !this.terminalSeen) return;
    const json = JSON.stringify(run);
    if (json !== this.lastRun) {
      this.lastRun = json;
      this.sink.send(LiveEvent.Run, run);
    }
    if (terminal) this.stop();
  }

  private remember(snapshot: RunDetailView): void {
    this.lastRun = JSON.stringify(runOf(snapshot));
    for (const node of snapshot.nodes) this.lastNodes.set(node.id, JSON.stringify(node));
  }
}

/** `GET /v1/audit/stream` (SPEC §13): matching entries from `from` or the resume position, then live. */
export class AuditEventStream extends FeedFollower {
  constructor(feed: AuditFeed, filter: AuditFilter, sink: EventSink) {
    super(feed, filter, sink);
  }

  async start(options: { resumeAfter?: StreamPosition; fromStart: boolean }): Promise<void> {
    this.after = options.resumeAfter ?? (options.fromStart ? { tx: 0n, id: 0n } : this.head);
    await this.catchUp();
  }

  protected async handle(entries: readonly FeedEntry[]): Promise<void> {
    this.sendAudits(entries);
  }
}

function runOf(detail: RunDetailView): RunView {
  const { nodes: _nodes, children: _children, ...run } = detail;
  return run;
}
