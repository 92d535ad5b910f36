import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';

/** Queue and job names: one place for each (STYLE §3). */
export const QueueName = {
  Nodes: 'nodes',
  Maintenance: 'maintenance',
  Notifications: 'notifications',
} as const;

export const JobName = {
  RunNode: 'run-node',
  ExpireEscalation: 'expire-escalation',
  EscalationEvent: 'escalation-event',
} as const;

/**
 * A node job carries identifiers only (SPEC §4): no token, input or output ever reaches Redis.
 * `attempt` is the attempt this job performs; with the ids it makes the job id deterministic, so
 * enqueuing the same step twice (after a crash, by the sweeper) is a no-op while the job exists.
 * A job may carry more than its own node: the worker goes on with the next node of a linear chain
 * inside the same job (see NodeRunner).
 */
export interface RunNodeJob {
  runId: string;
  nodeId: string;
  attempt: number;
}

export const nodeJobId = (job: RunNodeJob): string => `${job.runId}.${job.nodeId}.${job.attempt}`;

/**
 * BullMQ runs a node job again only when it threw, which means infrastructure trouble (Postgres
 * lost mid-transaction): Baton's own retries are new attempts with new job ids. Those re-runs back
 * off from 1 s to about 4 min over 9 tries; after that the sweeper still finds the node (a failed
 * job counts as missing), so a node is never stranded.
 */
const NODE_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: 1000,
  attempts: 9,
  backoff: { type: 'exponential', delay: 1000 },
};

/** BullMQ's failedReason for a job that stalled more than `maxStalledCount` times. */
const STALLED_TOO_OFTEN = /stalled more than allowable limit/;

/**
 * Runs in flight go before runs not yet started: a run's first nodes wait behind every later node
 * of the runs already going (BullMQ takes unprioritised jobs first, then by ascending priority).
 */
const START_PRIORITY = 10;

/** Puts node steps on the schedule. Postgres already says they are queued; this only wakes a worker. */
@Injectable()
export class NodeQueue {
  private readonly logger = new Logger(NodeQueue.name);

  constructor(@InjectQueue(QueueName.Nodes) private readonly queue: Queue) {}

  async enqueue(jobs: readonly RunNodeJob[], options: { delayMs?: number; start?: boolean } = {}): Promise<void> {
    if (jobs.length === 0) return;
    const delay = options.delayMs && options.delayMs > 0 ? options.delayMs : undefined;
    const toJob = (data: RunNodeJob) => ({
      name: JobName.RunNode,
      data: { runId: data.runId, nodeId: data.nodeId, attempt: data.attempt },
      opts: { ...NODE_JOB_OPTIONS, jobId: nodeJobId(data), delay, ...(options.start && { priority: START_PRIORITY }) },
    });
    // One job (a run start, a retry — the common case) without addBulk's MULTI/EXEC pipeline around it.
    if (jobs.length === 1) {
      const { name, data, opts } = toJob(jobs[0]!);
      await this.queue.add(name, data, opts);
      return;
    }
    await this.queue.addBulk(jobs.map(toJob));
  }

  /**
   * Enqueue after a commit without failing the caller: if Redis is down or the process dies here,
   * the sweeper finds the queued rows and enqueues them (SPEC §4 durability).
   */
  async enqueueAfterCommit(
    jobs: readonly RunNodeJob[],
    options: { delayMs?: number; start?: boolean } = {},
  ): Promise<void> {
    if (jobs.length === 0) return;
    try {
      await withTimeout(this.enqueue(jobs, options), 3000);
    } catch (error) {
      // The nodes by run and id (the first few): each is a line's worth of "which node" for an operator.
      this.logger.warn(
        {
          err: error,
          jobs: jobs.length,
          ...(jobs.length === 1 && { runId: jobs[0]!.runId, nodeId: jobs[0]!.nodeId }),
          nodes: jobs.slice(0, 20).map((j) => ({ runId: j.runId, nodeId: j.nodeId })),
        },
        'enqueue failed; the sweeper will enqueue these nodes',
      );
    }
  }

  /**
   * What became of the job with this id: `live` (waiting, delayed, active), `gone` (never reached
   * Redis, removed, Redis flushed, or failed for an infrastructure reason), or `crashed` — BullMQ gave
   * up on it because every worker that took it died (its stalled budget is spent).
   */
  async carrierState(jobId: string): Promise<'live' | 'gone' | 'crashed'> {
    const job = await this.queue.getJob(jobId);
    if (!job) return 'gone';
    const state = await job.getState();
    if (state === 'failed') return STALLED_TOO_OFTEN.test(job.failedReason ?? '') ? 'crashed' : 'gone';
    return state === 'completed' || state === 'unknown' ? 'gone' : 'live';
  }

  /**
   * Makes sure Redis holds a live job for each step: a step whose job is missing, or failed for
   * good, gets a fresh one. Returns how many it (re)created.
   */
  async ensure(jobs: readonly RunNodeJob[]): Promise<number> {
    const missing: RunNodeJob[] = [];
    for (const job of jobs) {
      const existing = await this.queue.getJob(nodeJobId(job));
      if (!existing) {
        missing.push(job);
      } else if (await existing.isFailed()) {
        await existing.remove();
        missing.push(job);
      }
    }
    await this.enqueue(missing);
    return missing.length;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
  ]);
}
