import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EscalationExpirer, JobName, NodeSweeper, QueueName, type ExpireEscalationJob } from '@baton/workflow';
import type { Job } from 'bullmq';

export const SWEEP_EVERY_MS = 5_000;
const LEGACY_SWEEP_JOB = 'sweep';

/** Escalation expiry at its due time (a delayed BullMQ job per escalation; the sweep is the backstop). */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends WorkerHost {
  constructor(private readonly expirer: EscalationExpirer) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.ExpireEscalation:
        return { expired: await this.expirer.expire((job.data as ExpireEscalationJob).escalationId) };
      case LEGACY_SWEEP_JOB:
        return null; // from a Redis schedule older versions kept; sweeping is SweepTimer's now
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  }
}

/**
 * Ticks the sweeper on a timer of this process's own, so recovery never depends on a schedule kept
 * in Redis (a restarted, unpersisted Redis forgets those). Workers take turns through a Postgres
 * advisory lock; ticks are spread with jitter and never overlap within a process.
 */
@Injectable()
export class SweepTimer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SweepTimer.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly sweeper: NodeSweeper) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), SWEEP_EVERY_MS * (0.75 + Math.random() * 0.5));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.sweeper.tick();
    } catch (error) {
      // Postgres or Redis is away; the next tick tries again.
      this.logger.warn({ err: error }, 'sweep failed; retrying at the next tick');
    } finally {
      this.schedule();
    }
  }
}
