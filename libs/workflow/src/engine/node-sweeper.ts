import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NodeErrorCode } from '../domain/index.js';
import { EscalationEvents } from '../escalations/escalation-events.js';
import { EscalationExpirer } from '../escalations/escalation-expirer.js';
import { NodeQueue, type RunNodeJob } from './node-queue.js';
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
    private readonly events: EscalationEvents,
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
      const node = { runId: running.runId, nodeId: running.nodeId, attempt: running.attempt };
      const state = running.carrier ? await this.queue.carrierState(running.carrier) : 'gone';
      if (state === 'live') continue;
      if (state === 'crashed') await this.giveUp(node);
      else orphans.push(node);
    }
    const created = await this.queue.ensure([...queued, ...orphans]);
    if (created > 0) this.logger.log({ jobs: created }, 'sweeper re-enqueued nodes');
    // Slots a crash, a cancel or a security event freed without handing them on (SPEC §12.1).
    const handedOut = await this.store.fillTenants();
    if (handedOut > 0) this.logger.log({ nodes: handedOut }, 'sweeper handed out parked nodes');
    return created + handedOut;
  }

  /**
   * A node whose job killed every worker that ran it (a poison input, a handler that crashes the
   * process) is failed and audited instead of being handed to the next worker to kill.
   */
  private async giveUp(node: RunNodeJob): Promise<void> {
    const error = {
      code: NodeErrorCode.WorkerCrashed,
      message: 'every worker that ran this node died with it; it is not run again',
    };
    const settlement = await this.store.settle(node, { kind: 'failed', error }, null, []);
    if (!settlement.settled) return;
    this.logger.error(
      { runId: node.runId, nodeId: node.nodeId, attempt: node.attempt },
      'node failed: its job crashed every worker that ran it',
    );
    if (settlement.closedEscalations.length > 0) await this.events.resolved(settlement.closedEscalations);
  }
}
