import { describe, expect, it } from '@jest/globals';
import {
  ACTIONS_FOR_REASON,
  AUDIT_OPERATIONS,
  ESCALATION_ACTIONS,
  ESCALATION_REASONS,
  ESCALATION_STATUSES,
  EscalationAction,
  EscalationReason,
  NodeErrorCode,
  isActionAllowedForReason,
} from './constants.js';

describe('AuditOperation', () => {
  it('holds every SPEC §6 operation and the run-less ones of §10, §12.2–§12.3', () => {
    expect([...AUDIT_OPERATIONS].sort()).toEqual(
      [
        'run.started',
        'run.succeeded',
        'run.failed',
        'run.cancelled',
        'node.started',
        'node.succeeded',
        'node.failed',
        'scope.narrowed',
        'token.exchanged',
        'token.used',
        'token.expired',
        'token.revoked',
        'escalation.created',
        'escalation.resolved',
        'escalation.expired',
        'workflow.version_created',
        'workflow.preflight',
        'security_event.received',
        'security_event.applied',
        'token.released',
      ].sort(),
    );
  });
});

describe('escalations', () => {
  it('has the SPEC §5 reasons, statuses and actions', () => {
    expect([...ESCALATION_REASONS].sort()).toEqual(
      ['approval_required', 'consent_required', 'insufficient_scope', 'token_expired', 'token_revoked'].sort(),
    );
    expect([...ESCALATION_STATUSES].sort()).toEqual(['expired', 'open', 'resolved']);
    expect([...ESCALATION_ACTIONS].sort()).toEqual(['abort', 'approve', 'reject', 'resume', 'retry']);
  });

  it.each(ESCALATION_REASONS.filter((reason) => reason !== EscalationReason.ApprovalRequired))(
    'allows resume, retry and abort for %s, never approve or reject',
    (reason) => {
      expect([...ACTIONS_FOR_REASON[reason]].sort()).toEqual(['abort', 'resume', 'retry']);
      expect(isActionAllowedForReason(reason, EscalationAction.Approve)).toBe(false);
      expect(isActionAllowedForReason(reason, EscalationAction.Reject)).toBe(false);
    },
  );

  it('allows approve, reject and abort for approval_required, never resume or retry', () => {
    expect([...ACTIONS_FOR_REASON.approval_required].sort()).toEqual(['abort', 'approve', 'reject']);
    expect(isActionAllowedForReason(EscalationReason.ApprovalRequired, EscalationAction.Resume)).toBe(false);
    expect(isActionAllowedForReason(EscalationReason.ApprovalRequired, EscalationAction.Retry)).toBe(false);
  });

  it('allows abort for every reason', () => {
    for (const reason of ESCALATION_REASONS)
      expect(isActionAllowedForReason(reason, EscalationAction.Abort)).toBe(true);
  });
});

describe('NodeErrorCode', () => {
  it('holds the codes other parts rely on, each value distinct', () => {
    expect(NodeErrorCode).toMatchObject({
      TemplateError: 'template_error',
      ScopeEscalation: 'scope_escalation',
      HttpError: 'http_error',
      Timeout: 'timeout',
      ExchangeFailed: 'exchange_failed',
      HandlerError: 'handler_error',
      EscalationExpired: 'escalation_expired',
      Rejected: 'rejected',
      Aborted: 'aborted',
    });
    const values = Object.values(NodeErrorCode);
    expect(new Set(values).size).toBe(values.length);
  });
});
