import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SqlPool } from '@baton/platform';
import { RunStatus } from '../domain/index.js';
import { EngineMetrics } from './engine-metrics.js';

/** A node transition that may have ended its run: a completion that left nothing to start, a node failure. */
interface Candidate {
  runId: string;
  nodeId: string;
}

/** Resolve early when this many candidates wait (no scrape for a while): memory stays bounded. */
const FLUSH_AT = 1000;
/** A scrape waits at most this long for the candidates' statuses; what is late counts at the next one. */
const SCRAPE_WAIT_MS = 1000;
/** Runs counted lately, so that two candidates of one run (fan-in completions in one batch) count it once. */
const RECENT_RUNS = 4096;

/**
 * `baton_runs_finished_total` for the ends the engine records in SQL (a run succeeds or fails inside
 * `baton_complete_node` / `baton_settle_node`, which do not say whether they ended the run). The hot
 * path only notes `(run, node)` in memory; at scrape time (or every FLUSH_AT notes) one query reads
 * which of those transitions ended their run: the node's `finished_at` equals the run's exactly when
 * both were written by the same transaction (`now()` is the transaction's start), so a run failed or
 * cancelled by another transaction is never counted twice. Ends decided outside SQL (cancel) are
 * counted where they happen, through `EngineMetrics.runsFinished`.
 */
@Injectable()
export class RunEndCounter implements OnModuleInit {
  private pending: Candidate[] = [];
  private resolving: Promise<void> | null = null;
  private readonly recent = new Set<string>();

  constructor(
    private readonly sql: SqlPool,
    private readonly metrics: EngineMetrics,
  ) {}

  onModuleInit(): void {
    // prom-client calls a metric's `collect` before each scrape, and awaits it when it is async.
    (this.metrics.runsFinished as unknown as { collect: () => Promise<void> }).collect = () =>
      this.flush(SCRAPE_WAIT_MS);
  }

  /** After a completion or a failure that may have ended the run (in memory; no round trip). */
  note(runId: string, nodeId: string): void {
    this.pending.push({ runId, nodeId });
    if (this.pending.length >= FLUSH_AT) void this.flush(0);
  }

  /** Counts the noted transitions that ended their run; waits at most `waitMs` for Postgres. */
  async flush(waitMs: number): Promise<void> {
    if (!this.resolving && this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.resolving = this.resolve(batch)
        .catch(() => {
          // Postgres is away: the transitions are noted again and counted at a later scrape.
          this.pending.unshift(...batch);
        })
        .finally(() => (this.resolving = null));
    }
    if (!this.resolving) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.resolving, new Promise((done) => (timer = setTimeout(done, waitMs)))]);
    clearTimeout(timer);
  }

  private async resolve(batch: Candidate[]): Promise<void> {
    const rows = await this.sql.query<{ id: string; workflow_name: string; status: RunStatus }>(
      'baton_metrics_run_ends',
      `SELECT DISTINCT r.id, r.workflow_name, r.status
       FROM unnest($1::uuid[], $2::text[]) AS c(run_id, node_id)
       JOIN runs r ON r.id = c.run_id
       JOIN node_runs n ON n.run_id = c.run_id AND n.node_id = c.node_id
       WHERE r.status = ANY($3) AND r.finished_at = n.finished_at`,
      [batch.map((c) => c.runId), batch.map((c) => c.nodeId), [RunStatus.Succeeded, RunStatus.Failed]],
    );
    for (const row of rows) {
      if (this.recent.has(row.id)) continue;
      this.recent.add(row.id);
      if (this.recent.size > RECENT_RUNS) this.recent.delete(this.recent.values().next().value!);
      this.metrics.runsFinished.inc({ workflow: row.workflow_name, status: row.status });
    }
  }
}
