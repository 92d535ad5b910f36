import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EscalationExpirer } from '../escalations/escalation-expirer.js';
import { NodeQueue } from './node-queue.js';
import { NodeRunStore } from './node-run.store.js';

/** A queued row this old with no job is one a crash (between commit and enqueue) or a flushed Redis left behind. */
export const STALE_QUEUED_SECONDS = 10;
/** A running row this old is checked: if the job carrying it is gone or failed, it lost its worker. */
export const STALE_RUNNING_SECONDS = 15;
const BATCH = 500;
/** One sweeper at a time per database, whatever the number of workers (a transaction-scoped advisory lock). */
const SWEEP_LOCK_KEY = 0x0ba7_0002;

/**
 * Durability backstop (SPEC §4): Postgres says what should run; this makes sure Redis has a job for
 * it. Every worker ticks it on a timer of its own and the one that takes the advisory lock sweeps,
 * so recovery needs nothing remembered by Redis — a restarted or flushed Redis is repaired on the
 * next tick. Re-enqueuing is safe: job ids are deterministic and the claim is a guarded update.
 */
@Injectable()
export class NodeSweeper {
  private readonly logger = new Logger(NodeSweeper.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: NodeRunStore,
    private readonly queue: NodeQueue,
    private readonly expirer: EscalationExpirer,
  ) {}

  /** One tick: sweeps and expires overdue escalations if this worker holds the lock; null when another does. */
  async tick(): Promise<{ reenqueued: number; expired: number } | null> {
    return this.dataSource.transaction(async (m) => {
      const [{ locked }] = await m.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [SWEEP_LOCK_KEY]);
      if (!locked) return null;
      return { reenqueued: await this.sweep(), expired: await this.expirer.expireOverdue() };
    });
  }

  async sweep(): Promise<number> {
    const queued = await this.store.staleQueued(STALE_QUEUED_SECONDS, BATCH);
    const orphans = [];
    for (const running of await this.store.staleRunning(STALE_RUNNING_SECONDS, BATCH)) {
      if (running.carrier && (await this.queue.isLive(running.carrier))) continue;
      orphans.push({ runId: running.runId, nodeId: running.nodeId, attempt: running.attempt });
    }
    const created = await this.queue.ensure([...queued, ...orphans]);
    if (created > 0) this.logger.log({ jobs: created }, 'sweeper re-enqueued nodes');
    return created;
  }
}
