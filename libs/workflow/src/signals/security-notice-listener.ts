import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { SubjectCutoffs } from '@baton/oauth';
import { RevokedSubjectTokens } from './revoked-subject-tokens.js';
import { SecurityBroadcast } from './security-broadcast.js';
import { applyNotice } from './security-event-applier.js';
import { SecurityEventStore } from './security-event.store.js';

/**
 * Keeps this process's view of security events current: the cut-offs in force are loaded from
 * Postgres at start and again whenever the broadcast reconnects (notices sent meanwhile were lost);
 * every notice from another process is applied as it arrives.
 */
@Injectable()
export class SecurityNoticeListener implements OnModuleInit {
  private readonly logger = new Logger(SecurityNoticeListener.name);

  constructor(
    private readonly broadcast: SecurityBroadcast,
    private readonly store: SecurityEventStore,
    private readonly cutoffs: SubjectCutoffs,
    private readonly revoked: RevokedSubjectTokens,
  ) {}

  async onModuleInit(): Promise<void> {
    this.broadcast.onNotice((notice) => applyNotice(notice, this.cutoffs, this.revoked));
    this.broadcast.onReconnected(() => void this.loadCutoffs());
    await this.loadCutoffs();
  }

  private async loadCutoffs(): Promise<void> {
    try {
      for (const cutoff of await this.store.activeCutoffs()) this.cutoffs.add(cutoff);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not load the subject cut-offs from Postgres');
    }
  }
}
