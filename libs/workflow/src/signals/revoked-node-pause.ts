import type { ExchangeProfile } from '@baton/platform';
import { scopesToRequest } from '@baton/oauth';
import type { AuditRecord } from '../audit/audit-writer.js';
import { AuditOperation, EscalationReason, type EffectiveNode } from '../domain/index.js';
import type { SubjectTokenRevocation } from '../runs/run.store.js';
import { runAudit, type RunAuditContext } from '../runs/run-audit.js';

/** What pausing a queued node of a revoked run records: the attempt's audit rows and its escalation. */
export interface RevokedNodePause {
  grantedScopes: string[];
  audits: AuditRecord[];
  escalation: { reason: EscalationReason; detail: string };
}

/**
 * SPEC §10.3 at once instead of when a worker reaches the node: what NodeExecutor records for a
 * node that needs the run's subject token after a security event deleted it (scope narrowing, then
 * `token.revoked` and a `token_revoked` escalation, no exchange) — the same rows, so the trail
 * reads alike whichever path paused the node. Null when that node would end otherwise and is left
 * to the worker: it needs no token, its profile is not configured, or the user lacks a required
 * scope (those escalate or fail differently).
 */
export function revokedNodePause(
  run: RunAuditContext & { userScopes: readonly string[] },
  node: EffectiveNode | undefined,
  profile: Pick<ExchangeProfile, 'scopeSource'> | undefined,
  revocation: SubjectTokenRevocation,
): RevokedNodePause | null {
  if (!node || (node.type !== 'http' && node.type !== 'handler') || !node.oauth || !profile) return null;
  const oauth = node.oauth;
  const { granted, missing } = scopesToRequest({
    requiredScopes: oauth.requiredScopes,
    optionalScopes: oauth.optionalScopes,
    userScopes: run.userScopes,
    scopeSource: profile.scopeSource,
  });
  if (missing.length > 0) return null;
  const target = oauth.audience ?? oauth.resource ?? null;
  return {
    grantedScopes: granted,
    audits: [
      runAudit(run, AuditOperation.ScopeNarrowed, {
        nodeId: node.id,
        scopes: granted,
        target,
        details: {
          required: oauth.requiredScopes,
          optional: oauth.optionalScopes,
          scopeSource: profile.scopeSource ?? 'token',
        },
      }),
      runAudit(run, AuditOperation.TokenRevoked, {
        nodeId: node.id,
        success: false,
        scopes: granted,
        target,
        error: 'security_event',
        details: { eventType: revocation.eventType, jti: revocation.jti },
      }),
    ],
    escalation: {
      reason: EscalationReason.TokenRevoked,
      detail: `the user's token was revoked by a security event (${revocation.eventType})`,
    },
  };
}
