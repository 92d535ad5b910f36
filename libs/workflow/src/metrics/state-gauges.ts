import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Gauge, Registry, ScrapeCache, SqlPool } from '@baton/platform';
import type { Queue } from 'bullmq';
import { ESCALATION_REASONS, EscalationStatus } from '../domain/index.js';
import { QueueName } from '../engine/node-queue.js';

/** Scrapes come every 15–60 s; two close together (two Prometheis, a reload) share one read. */
const TTL_MS = 5000;
/** A slow Postgres or Redis delays a scrape by at most this; the gauge then shows the last value. */
const WAIT_MS = 1000;
/** BullMQ's states of a job not yet done; `prioritized` holds run starts (they carry a priority). */
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed'] as const;

/**
 * Gauges of the whole deployment's state, read at scrape time from Postgres and Redis (cached
 * TTL_MS): open escalations by reason, and jobs in the node and notification queues by state. Only
 * the api registers them — they are the same numbers in every process, so one kind of process
 * answers them (take `max` across api replicas).
 */
@Injectable()
export class StateGauges {
  constructor(
    registry: Registry,
    sql: SqlPool,
    @InjectQueue(QueueName.Nodes) nodes: Queue,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
  ) {
    const openEscalations = new ScrapeCache(
      async () =>
        sql.query<{ reason: string; open: number }>(
          'baton_metrics_open_escalations',
          `SELECT reason, count(*)::int AS open FROM escalations WHERE status = $1 GROUP BY reason`,
          [EscalationStatus.Open],
        ),
      [],
      { ttlMs: TTL_MS, waitMs: WAIT_MS },
    );
    new Gauge({
      name: 'baton_escalations_open',
      help: 'Escalations open now, by reason (read from Postgres at scrape time, cached 5 s)',
      labelNames: ['reason'],
      registers: [registry],
      async collect() {
        const rows = await openEscalations.get();
        // Every reason is exported, 0 included: a reason whose last escalation closed drops to 0.
        for (const reason of ESCALATION_REASONS) this.set({ reason }, rows.find((r) => r.reason === reason)?.open ?? 0);
      },
    });

    const queues = [nodes, notifications];
    const depth = new ScrapeCache(
      async () =>
        Promise.all(queues.map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...QUEUE_STATES) }))),
      [] as { queue: string; counts: Record<string, number> }[],
      { ttlMs: TTL_MS, waitMs: WAIT_MS },
    );
    new Gauge({
      name: 'baton_queue_jobs',
      help: 'BullMQ jobs not yet done, by queue and state (read from Redis at scrape time, cached 5 s)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        for (const { queue, counts } of await depth.get())
          for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
      },
    });
  }
}
