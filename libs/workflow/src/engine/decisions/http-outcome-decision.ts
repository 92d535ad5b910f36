import { AuditOperation, EscalationReason, NodeErrorCode } from '../../domain/index.js';
import type { HttpCallOutcome } from '../../nodes/http/http-call-outcome.js';
import type { AttemptVerdict, DecidedAudit } from './attempt-verdict.js';

export interface HttpCallContext {
  /** `METHOD scheme://host/path` of the call, for messages and the audit target. */
  target: string;
  /** Whether the call carried an exchanged token (a node with `oauth`). */
  withToken: boolean;
  /** Whether this call already used a token exchanged again after a 401. */
  refreshed: boolean;
  timeoutMs: number;
  grantedScopes: string[] | null;
}

export type HttpDecision =
  | { kind: 'succeed'; output: { status: number; headers: Record<string, string>; body: unknown } }
  /** A 401 to a token that may have been revoked downstream: drop it, exchange once more, call once more. */
  | { kind: 'refresh_token' }
  | AttemptVerdict;

/**
 * SPEC §4 step 4 as one table: what one downstream call came to → the audit entries to write and
 * what the attempt does next. Pure: the executor performs the calls and follows the decision.
 */
export function decideHttpOutcome(
  result: HttpCallOutcome,
  context: HttpCallContext,
): { audits: DecidedAudit[]; decision: HttpDecision } {
  const { target } = context;
  if (result.kind !== 'response') {
    const audits: DecidedAudit[] = context.withToken
      ? [{ operation: AuditOperation.TokenUsed, success: false, error: result.kind }]
      : [];
    switch (result.kind) {
      case 'timeout':
        return {
          audits,
          decision: {
            kind: 'retry',
            error: { code: NodeErrorCode.Timeout, message: `no answer from ${target} within ${context.timeoutMs} ms` },
          },
        };
      case 'network_error':
        return {
          audits,
          decision: {
            kind: 'retry',
            error: { code: NodeErrorCode.NetworkError, message: `${target}: ${result.message}` },
          },
        };
      case 'aborted':
        return {
          audits,
          decision: { kind: 'retry', error: { code: NodeErrorCode.NetworkError, message: `${target}: aborted` } },
        };
      case 'response_too_large':
        return {
          audits,
          decision: {
            kind: 'fail',
            error: { code: NodeErrorCode.HttpError, message: `${target} answered more than ${result.limit} bytes` },
          },
        };
      case 'invalid_request':
        return {
          audits,
          decision: { kind: 'fail', error: { code: NodeErrorCode.HttpError, message: result.message } },
        };
      case 'destination_refused':
        // SPEC §16: the address the name resolved to is not one this node may reach; never retried.
        return { audits, decision: { kind: 'fail', error: { code: result.code, message: result.message } } };
    }
  }
  const audits: DecidedAudit[] = context.withToken
    ? [{ operation: AuditOperation.TokenUsed, success: result.status < 400, details: { status: result.status } }]
    : [];
  const failure = { code: NodeErrorCode.HttpError, message: `${target} answered ${result.status}` };
  switch (result.classification.kind) {
    case 'ok':
      return {
        audits,
        decision: { kind: 'succeed', output: { status: result.status, headers: result.headers, body: result.body } },
      };
    case 'unauthorized':
      if (!context.withToken) return { audits, decision: { kind: 'fail', error: failure } };
      if (!context.refreshed) return { audits, decision: { kind: 'refresh_token' } };
      return {
        audits: [...audits, { operation: AuditOperation.TokenRevoked, success: false, error: 'downstream_401' }],
        decision: {
          kind: 'escalate',
          reason: EscalationReason.TokenRevoked,
          detail: `${target} refused a freshly exchanged token (401)`,
        },
      };
    case 'forbidden':
      if (!context.withToken) return { audits, decision: { kind: 'fail', error: failure } };
      return {
        audits,
        decision: {
          kind: 'escalate',
          reason: EscalationReason.InsufficientScope,
          detail: `${target} answered 403 to a token with scopes ${context.grantedScopes?.join(' ')}`,
        },
      };
    case 'transient':
      return {
        audits,
        decision: {
          kind: 'retry',
          error: failure,
          ...(result.classification.retryAfterMs !== undefined && { retryAfterMs: result.classification.retryAfterMs }),
        },
      };
    case 'client_error':
      return { audits, decision: { kind: 'fail', error: failure } };
  }
}
