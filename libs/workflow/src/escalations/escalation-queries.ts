import { Injectable } from '@nestjs/common';
import type { Page } from '@baton/platform';
import { EscalationRepository, type EscalationListFilter } from './escalation.repository.js';
import { ApiScopeKey, type Caller } from '@baton/platform';
import { EscalationResolver } from './escalation-resolver.js';
import { toEscalationView, type EscalationView } from './escalation.views.js';

/** Reading the queue: one's own escalations, or all with `escalationsResolve`. */
@Injectable()
export class EscalationQueries {
  constructor(
    private readonly escalations: EscalationRepository,
    private readonly resolver: EscalationResolver,
  ) {}

  async list(caller: Caller, filter: Omit<EscalationListFilter, 'owner' | 'tenant'>): Promise<Page<EscalationView>> {
    const owner = caller.may(ApiScopeKey.EscalationsResolve) ? undefined : { iss: caller.issuer, sub: caller.subject };
    const page = await this.escalations.list({ ...filter, tenant: caller.tenant, owner });
    return { items: page.items.map((e) => toEscalationView(e, e.workflow)), nextCursor: page.nextCursor };
  }

  async get(id: string, caller: Caller): Promise<EscalationView> {
    const { escalation, run } = await this.resolver.visible(id, caller);
    return toEscalationView(escalation, run.workflowName);
  }
}
