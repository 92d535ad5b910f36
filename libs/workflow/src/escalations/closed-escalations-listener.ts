import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ChannelListener, InjectConfig, type BatonConfig } from '@baton/platform';
import { EscalationEvents } from './escalation-events.js';

/** The channel the tree trigger (migration 1733500000000) announces the escalations it closed on. */
export const ESCALATIONS_CLOSED_CHANNEL = 'baton_escalations_closed';

/**
 * SPEC §11: a child's failure fails its parent run, and a run's end cancels its children, inside
 * the transaction of whatever ended the child — in SQL, where the escalations those runs had open
 * are closed by Baton. No JavaScript caller knows their ids, so the trigger NOTIFYs them and the
 * worker sends their `resolved` webhook events. A notification missed while no worker listened is
 * a webhook event missed (the escalation rows and the audit trail still say what happened).
 */
@Injectable()
export class ClosedEscalationsListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ClosedEscalationsListener.name);
  private readonly listener: ChannelListener;

  constructor(
    private readonly events: EscalationEvents,
    @InjectConfig() config: BatonConfig,
  ) {
    this.listener = new ChannelListener({
      databaseUrl: config.databaseUrl,
      channel: ESCALATIONS_CLOSED_CHANNEL,
      applicationName: 'baton-closed-escalations',
      onNotify: (payload) => void this.announce(payload),
    });
  }

  onApplicationBootstrap(): void {
    this.listener.startInBackground();
  }

  onModuleDestroy(): Promise<void> {
    return this.listener.close();
  }

  private async announce(payload: string | undefined): Promise<void> {
    try {
      const { ids } = JSON.parse(payload ?? '') as { ids: string[] };
      await this.events.resolved(ids);
    } catch (err) {
      this.logger.warn({ err }, 'unreadable closed-escalations notification');
    }
  }
}
