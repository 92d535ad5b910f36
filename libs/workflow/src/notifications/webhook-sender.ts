import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { Agent } from 'undici';
import { InjectConfig, type BatonConfig } from '@baton/platform';
import { EscalationRepository } from '../escalations/escalation.repository.js';
import type { EscalationEventJob } from '../escalations/escalation-events.js';
import { toEscalationView } from '../escalations/escalation.views.js';
import { createGuardedAgent, destinationRefusalOf } from '../nodes/http/guarded-lookup.js';
import { signWebhook } from './webhook-signature.js';

const TIMEOUT_MS = 10_000;

/**
 * Delivers one escalation event to its run's tenant's `notifications.webhookUrl` (SPEC §12.1: a
 * tenant hears only of its own escalations; operator configuration, so not
 * subject to `http.allowedHosts`). A non-2xx answer throws, and BullMQ retries with backoff.
 * Loopback, link-local, private and unspecified addresses are refused (checked on the address the
 * name resolves to) unless `notifications.allowPrivate: true`; a refusal is not retried.
 * The body holds the escalation and a run summary, never a token.
 */
@Injectable()
export class WebhookSender implements OnModuleDestroy {
  /** Refuses private addresses for every tenant without `allowPrivate`; created on first use. */
  private guardedAgent: Agent | undefined;

  constructor(
    @InjectConfig() private readonly config: BatonConfig,
    private readonly escalations: EscalationRepository,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.guardedAgent?.close();
  }

  async deliver(job: EscalationEventJob): Promise<'sent' | 'disabled' | 'gone'> {
    if (!Object.values(this.config.tenants).some((t) => t.notifications)) return 'disabled';
    const found = await this.escalations.findInAnyTenant(job.escalationId);
    if (!found) return 'gone';
    const target = this.config.tenants[found.run.tenant]?.notifications;
    if (!target) return 'disabled';
    if (!target.allowPrivate) this.guardedAgent ??= createGuardedAgent([]);
    const body = JSON.stringify({
      id: job.eventId,
      type: job.type,
      occurredAt: job.occurredAt,
      escalation: toEscalationView(found.escalation, found.run.workflowName),
      run: { id: found.run.id, workflow: found.run.workflowName, status: found.run.status },
    });
    const response = await fetch(target.webhookUrl, {
      ...(!target.allowPrivate && { dispatcher: this.guardedAgent }),
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'baton-signature': signWebhook(target.secret, body, Math.floor(Date.now() / 1000)),
        'baton-event-id': job.eventId,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    } as RequestInit).catch((error: unknown) => {
      const refused = destinationRefusalOf(error);
      throw refused
        ? new UnrecoverableError(
            `webhook destination refused: ${refused.message} (set notifications.allowPrivate to allow it)`,
          )
        : error;
    });
    await response.body?.cancel();
    if (response.status < 200 || response.status >= 300) throw new Error(`webhook answered ${response.status}`);
    return 'sent';
  }
}
