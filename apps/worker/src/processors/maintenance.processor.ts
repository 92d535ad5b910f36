import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { EscalationExpirer, JobName, NodeSweeper, QueueName, type ExpireEscalationJob } from '@baton/workflow';
import type { Job, Queue } from 'bullmq';

export const SWEEP_EVERY_MS = 5_000;

/** Periodic upkeep and escalation expiry, scheduled by BullMQ so one worker does each job. */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends WorkerHost {
  constructor(
    private readonly sweeper: NodeSweeper,
    private readonly expirer: EscalationExpirer,
  ) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.Sweep:
        return { reenqueued: await this.sweeper.sweep(), expired: await this.expirer.expireOverdue() };
      case JobName.ExpireEscalation:
        return { expired: await this.expirer.expire((job.data as ExpireEscalationJob).escalationId) };
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  }
}

/** Registers the schedules at boot (idempotent: an upsert by scheduler id). */
@Injectable()
export class MaintenanceSchedule implements OnApplicationBootstrap {
  constructor(@InjectQueue(QueueName.Maintenance) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(JobName.Sweep, { every: SWEEP_EVERY_MS }, { name: JobName.Sweep, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
}
