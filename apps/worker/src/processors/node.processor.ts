import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  DEFAULT_CONCURRENCY_LIMIT,
  EngineMetrics,
  NodeConcurrency,
  NodeRunner,
  QueueName,
  nodeJobId,
  queueWaitSeconds,
  type RunNodeJob,
} from '@baton/workflow';
import type { Job } from 'bullmq';

/**
 * Thin BullMQ shell over NodeRunner. Throwing here means infrastructure trouble (Postgres lost
 * mid-transaction): BullMQ runs the same job id again after a backoff, and the claim takes the step
 * over. A job that keeps stalling (it crashes its worker) is given up after `maxStalledCount`; the
 * sweeper then finds its node and the retry budget decides.
 */
@Processor(QueueName.Nodes, {
  // Node jobs are I/O bound (exchange, downstream HTTP): NodeConcurrency sets the real limit at boot
  // (baton.yaml worker.nodeConcurrency) and adapts it.
  concurrency: DEFAULT_CONCURRENCY_LIMIT.min,
  // A crashed worker's job is re-delivered once its lock lapses; keep that short.
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 5,
})
export class NodeProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(NodeProcessor.name);

  constructor(
    private readonly runner: NodeRunner,
    private readonly metrics: EngineMetrics,
    private readonly concurrency: NodeConcurrency,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.concurrency.attach((limit) => (this.worker.concurrency = limit));
  }

  async process(job: Job<RunNodeJob>): Promise<void> {
    this.metrics.queueWait.observe({ queue: QueueName.Nodes }, queueWaitSeconds(job, Date.now()));
    const { runId, nodeId, attempt } = job.data;
    await this.runner.run({ runId, nodeId, attempt }, job.id ?? nodeJobId(job.data));
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<RunNodeJob> | undefined, error: Error): void {
    const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(
      {
        err: error,
        jobId: job?.id,
        runId: job?.data.runId,
        nodeId: job?.data.nodeId,
        attempt: job?.data.attempt,
        jobAttempts: job?.attemptsMade,
        final,
      },
      final ? 'node job failed for good; the sweeper will re-enqueue its node' : 'node job failed; BullMQ retries it',
    );
  }
}
