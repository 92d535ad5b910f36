import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { QueueName, WebhookSender, type EscalationEventJob } from '@baton/workflow';
import type { Job } from 'bullmq';

/** Webhook deliveries; retries and backoff are the job's (8 attempts). Failures never touch a run. */
@Processor(QueueName.Notifications, { concurrency: 8 })
export class NotificationProcessor extends WorkerHost {
  private readonly logger = new Logger(NotificationProcessor.name);

  constructor(private readonly sender: WebhookSender) {
    super();
  }

  process(job: Job<EscalationEventJob>): Promise<string> {
    return this.sender.deliver(job.data);
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<EscalationEventJob> | undefined, error: Error): void {
    const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(
      { eventId: job?.data.eventId, type: job?.data.type, attempt: job?.attemptsMade, final, err: error.message },
      final ? 'webhook delivery given up' : 'webhook delivery failed; will retry',
    );
  }
}
