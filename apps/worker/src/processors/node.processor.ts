import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { NodeRunner, QueueName, type RunNodeJob } from '@baton/workflow';
import type { Job } from 'bullmq';

/** Node jobs are I/O bound (exchange, downstream HTTP): many run at once per worker. */
export const NODE_CONCURRENCY = 32;

/**
 * Thin BullMQ shell over NodeRunner. Throwing here means infrastructure trouble (Postgres down):
 * BullMQ retries the same job id, and the claim takes the step over.
 */
@Processor(QueueName.Nodes, {
  concurrency: NODE_CONCURRENCY,
  // A crashed worker's job is re-delivered once its lock lapses; keep that short.
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 5,
})
export class NodeProcessor extends WorkerHost {
  private readonly logger = new Logger(NodeProcessor.name);

  constructor(private readonly runner: NodeRunner) {
    super();
  }

  async process(job: Job<RunNodeJob>): Promise<void> {
    const { runId, nodeId, attempt } = job.data;
    await this.runner.run({ runId, nodeId, attempt });
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<RunNodeJob> | undefined, error: Error): void {
    this.logger.warn({ err: error, jobId: job?.id }, 'node job failed; BullMQ or the sweeper will retry it');
  }
}
