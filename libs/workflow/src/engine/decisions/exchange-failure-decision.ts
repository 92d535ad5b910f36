import { AuditOperation, EscalationReason, NodeErrorCode } from '../../domain/index.js';
import type { AttemptVerdict, DecidedAudit } from './attempt-verdict.js';

/** What the token exchanger reported when an exchange failed (TokenExchangeError's facts). */
export interface ExchangeFailure {
  code:
    | 'revoked'
    | 'consent_required'
    | 'token_expired'
    | 'exchange_refused'
    | 'insufficient_scope'
    | 'scope_escalation'
    | 'transient'
    | 'fatal';
  message: string;
  oauthError?: string;
  missingScopes?: string[];
  widenedScopes?: string[];
  /** A vendor's own words for the human (Entra's claims challenge, a may_act refusal). */
  escalationDetail?: string;
  retryAfterMs?: number;
}

/**
 * SPEC §4 step 3 (and §9.1's vendor mappings) as one table: a failed exchange's class → the audit
 * entry written, and whether the node escalates, fails or retries. No token or secret is read here.
 */
export function decideExchangeFailure(failure: ExchangeFailure): { audit: DecidedAudit; verdict: AttemptVerdict } {
  const error = failure.oauthError ?? failure.code;
  const details = { message: failure.message };
  const audited = (operation: string, extra: Partial<DecidedAudit> = {}): DecidedAudit => ({
    operation,
    success: false,
    error,
    details,
    ...extra,
  });
  switch (failure.code) {
    case 'revoked':
      return {
        audit: audited(AuditOperation.TokenRevoked),
        verdict: {
          kind: 'escalate',
          reason: EscalationReason.TokenRevoked,
          detail: `the authorization server refused the user's token (${failure.oauthError ?? 'revoked'})`,
        },
      };
    case 'consent_required':
      return {
        audit: audited(AuditOperation.TokenExchanged),
        verdict: {
          kind: 'escalate',
          reason: EscalationReason.ConsentRequired,
          detail:
            failure.escalationDetail ?? `the authorization server answered ${failure.oauthError ?? 'consent_required'}`,
        },
      };
    case 'token_expired':
      return {
        audit: audited(AuditOperation.TokenExpired),
        verdict: {
          kind: 'escalate',
          reason: EscalationReason.TokenExpired,
          detail: `the authorization server found the user's token expired (${failure.oauthError ?? 'token_expired'})`,
        },
      };
    case 'exchange_refused':
      return {
        audit: audited(AuditOperation.TokenExchanged),
        verdict: { kind: 'fail', error: { code: NodeErrorCode.ExchangeRefused, message: failure.message } },
      };
    case 'insufficient_scope':
      return {
        audit: audited(AuditOperation.TokenExchanged, { details: { ...details, missing: failure.missingScopes } }),
        verdict: {
          kind: 'escalate',
          reason: EscalationReason.InsufficientScope,
          detail: `the authorization server left out ${failure.missingScopes?.join(' ')}`,
        },
      };
    case 'scope_escalation':
      return {
        audit: audited(AuditOperation.TokenExchanged, {
          error: 'scope_escalation',
          details: { ...details, widened: failure.widenedScopes },
        }),
        verdict: {
          kind: 'fail',
          error: {
            code: NodeErrorCode.ScopeEscalation,
            message: `the authorization server granted unrequested scopes ${failure.widenedScopes?.join(' ')}; token discarded`,
          },
        },
      };
    case 'transient':
      return {
        audit: audited(AuditOperation.TokenExchanged),
        verdict: {
          kind: 'retry',
          error: { code: NodeErrorCode.ExchangeFailed, message: failure.message },
          ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
        },
      };
    case 'fatal':
      return {
        audit: audited(AuditOperation.TokenExchanged),
        verdict: { kind: 'fail', error: { code: NodeErrorCode.ExchangeFailed, message: failure.message } },
      };
  }
}
