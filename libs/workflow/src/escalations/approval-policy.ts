import { Injectable } from '@nestjs/common';
import {
  ApiScopeKey,
  DomainError,
  DomainErrorCode,
  InjectConfig,
  isCaller,
  type BatonConfig,
  type Caller,
} from '@baton/platform';
import { z } from 'zod';
import { EscalationAction, EscalationReason } from '../domain/index.js';
import { EscalationRepository } from './escalation.repository.js';

export interface ApprovalDecisionInput {
  reason: string;
  action: string | undefined;
  run: { userIss: string; userSub: string };
  caller: Caller;
  requireResolveScope: boolean;
}

/**
 * Issue 10 item 8 (`approvals.requireResolveScope: true`): approving or rejecting an approval
 * needs `escalationsResolve`, and the run's own user cannot approve their own run (four eyes).
 * Other escalations (token problems) and `abort` stay the run owner's. Null when allowed.
 */
export function approvalRefusal(input: ApprovalDecisionInput): string | null {
  if (!input.requireResolveScope || input.reason !== EscalationReason.ApprovalRequired) return null;
  if (input.action !== EscalationAction.Approve && input.action !== EscalationAction.Reject) return null;
  if (!input.caller.may(ApiScopeKey.EscalationsResolve))
    return 'Approvals need the escalationsResolve scope (approvals.requireResolveScope)';
  const own = isCaller(input.caller, input.run.userIss, input.run.userSub);
  if (own && input.action === EscalationAction.Approve)
    return "The run's own user cannot approve their own run (approvals.requireResolveScope)";
  return null;
}

/** Applies `approvalRefusal` before a resolve; a caller who cannot see the escalation is left to the resolver's 404. */
@Injectable()
export class ApprovalPolicy {
  constructor(
    private readonly escalations: EscalationRepository,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  async assertMayResolve(id: string, body: unknown, caller: ApprovalDecisionInput['caller']): Promise<void> {
    if (!this.config.approvals.requireResolveScope || !z.uuid().safeParse(id).success) return;
    const found = await this.escalations.findWithRun(caller.tenant, id);
    if (!found) return;
    const { escalation, run } = found;
    if (!caller.may(ApiScopeKey.EscalationsResolve) && !isCaller(caller, run.userIss, run.userSub)) return;
    const action =
      typeof body === 'object' && body !== null && typeof (body as { action?: unknown }).action === 'string'
        ? (body as { action: string }).action
        : undefined;
    const refusal = approvalRefusal({ reason: escalation.reason, action, run, caller, requireResolveScope: true });
    if (refusal) throw new DomainError(DomainErrorCode.Forbidden, refusal);
  }
}
