import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NodeQueue, type RunNodeJob } from './node-queue.js';

/** A queued row this old with no job is one a crash (between commit and enqueue) left behind. */
export const STALE_QUEUED_SECONDS = 10;
/** A running row this old whose job is gone from Redis lost its worker and its job. */
export const STALE_RUNNING_SECONDS = 60;
const BATCH = 500;

/**
 * Durability backstop (SPEC §4): Postgres says what should run; this makes sure Redis has a job for
 * it. Runs every few seconds as a BullMQ job scheduler, so exactly one worker sweeps at a time.
 * Re-enqueuing is safe: job ids are deterministic and the claim is a guarded update.
 */
@Injectable()
export class NodeSweeper {
  private readonly logger = new Logger(NodeSweeper.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: NodeQueue,
  ) {}

  async sweep(): Promise<number> {
    const queued: { run_id: string; node_id: string; attempts: number }[] = await this.dataSource.query(
      `SELECT run_id, node_id, attempts FROM node_runs
       WHERE status = 'queued' AND queued_at < now() - make_interval(secs => $1) LIMIT $2`,
      [STALE_QUEUED_SECONDS, BATCH],
    );
    const running: typeof queued = await this.dataSource.query(
      `SELECT run_id, node_id, attempts FROM node_runs
       WHERE status = 'running' AND updated_at < now() - make_interval(secs => $1) LIMIT $2`,
      [STALE_RUNNING_SECONDS, BATCH],
    );
    const jobs: RunNodeJob[] = queued.map((r) => ({ runId: r.run_id, nodeId: r.node_id, attempt: r.attempts + 1 }));
    for (const r of running) {
      const job = { runId: r.run_id, nodeId: r.node_id, attempt: r.attempts };
      if ((await this.queue.jobState(job)) === 'unknown') jobs.push(job);
    }
    if (jobs.length > 0) {
      await this.queue.enqueue(jobs);
      this.logger.log({ jobs: jobs.length }, 'sweeper re-enqueued nodes');
    }
    return jobs.length;
  }
}
