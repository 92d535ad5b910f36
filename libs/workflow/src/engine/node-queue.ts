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
  Sweep: 'sweep',
  ExpireEscalation: 'expire-escalation',
  EscalationEvent: 'escalation-event',
} as const;

/**
 * A node job carries identifiers only (SPEC §4): no token, input or output ever reaches Redis.
 * `attempt` is the attempt this job performs; with the ids it makes the job id deterministic, so
 * enqueuing the same step twice (after a crash, by the sweeper) is a no-op while the job exists.
 */
export interface RunNodeJob {
  runId: string;
  nodeId: string;
  attempt: number;
}

export const nodeJobId = (job: RunNodeJob): string => `${job.runId}.${job.nodeId}.${job.attempt}`;

const NODE_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: 1000,
  // Retries are Baton's (Postgres knows the attempt count); BullMQ runs each job once.
  attempts: 1,
};

/** Puts node steps on the schedule. Postgres already says they are queued; this only wakes a worker. */
@Injectable()
export class NodeQueue {
  private readonly logger = new Logger(NodeQueue.name);

  constructor(@InjectQueue(QueueName.Nodes) private readonly queue: Queue) {}

  async enqueue(jobs: readonly RunNodeJob[], delayMs = 0): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map((data) => ({
        name: JobName.RunNode,
        data: { runId: data.runId, nodeId: data.nodeId, attempt: data.attempt },
        opts: { ...NODE_JOB_OPTIONS, jobId: nodeJobId(data), delay: delayMs > 0 ? delayMs : undefined },
      })),
    );
  }

  /**
   * Enqueue after a commit without failing the caller: if Redis is down or the process dies here,
   * the sweeper finds the queued rows and enqueues them (SPEC §4 durability).
   */
  async enqueueAfterCommit(jobs: readonly RunNodeJob[], delayMs = 0): Promise<void> {
    try {
      await withTimeout(this.enqueue(jobs, delayMs), 3000);
    } catch (error) {
      this.logger.warn({ err: error, jobs: jobs.length }, 'enqueue failed; the sweeper will enqueue these nodes');
    }
  }

  /** The state of a node job in Redis ('unknown' when it does not exist). */
  jobState(job: RunNodeJob): Promise<string> {
    return this.queue.getJobState(nodeJobId(job));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
  ]);
}
