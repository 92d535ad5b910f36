import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { JobName, QueueName } from '../engine/node-queue.js';

export const EscalationEventType = {
  Opened: 'escalation.opened',
  Resolved: 'escalation.resolved',
  Expired: 'escalation.expired',
} as const;
export type EscalationEventType = (typeof EscalationEventType)[keyof typeof EscalationEventType];

/** A webhook delivery job: identifiers only; the event body is read from Postgres when sent. */
export interface EscalationEventJob {
  eventId: string;
  escalationId: string;
  type: EscalationEventType;
  occurredAt: string;
}

export interface ExpireEscalationJob {
  escalationId: string;
}

/** Webhook deliveries: exponential backoff, 8 attempts (SPEC §5). */
const DELIVERY_ATTEMPTS = 8;

/**
 * What happens after an escalation changes, outside its transaction: its expiry is scheduled as a
 * delayed BullMQ job (kept in Redis, so it survives worker restarts; the sweeper is the backstop),
 * and the webhook is told. Neither may block or fail the caller.
 */
@Injectable()
export class EscalationEvents {
  private readonly logger = new Logger(EscalationEvents.name);

  constructor(
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
    @InjectQueue(QueueName.Notifications) private readonly notifications: Queue,
  ) {}

  async opened(escalationId: string, expiresAt: Date): Promise<void> {
    await this.quietly('schedule expiry', () =>
      this.maintenance.add(JobName.ExpireEscalation, { escalationId } satisfies ExpireEscalationJob, {
        jobId: `expire.${escalationId}`,
        delay: Math.max(0, expiresAt.getTime() - Date.now()),
        removeOnComplete: true,
        removeOnFail: 100,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
      }),
    );
    await this.notify(escalationId, EscalationEventType.Opened);
  }

  resolved(escalationIds: readonly string[]): Promise<void> {
    return this.notifyAll(escalationIds, EscalationEventType.Resolved);
  }

  expired(escalationId: string): Promise<void> {
    return this.notify(escalationId, EscalationEventType.Expired);
  }

  private async notifyAll(ids: readonly string[], type: EscalationEventType): Promise<void> {
    for (const id of ids) await this.notify(id, type);
  }

  private notify(escalationId: string, type: EscalationEventType): Promise<void> {
    const job: EscalationEventJob = { eventId: randomUUID(), escalationId, type, occurredAt: new Date().toISOString() };
    return this.quietly('queue webhook event', () =>
      this.notifications.add(JobName.EscalationEvent, job, {
        jobId: job.eventId,
        attempts: DELIVERY_ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: 1000,
      }),
    );
  }

  private async quietly(what: string, action: () => Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        action(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), 3000))),
      ]);
    } catch (error) {
      this.logger.warn({ err: error }, `could not ${what}; the sweeper expires overdue escalations`);
    } finally {
      clearTimeout(timer);
    }
  }
}
