import { describe, expect, it } from '@jest/globals';
import { decideExchangeFailure, type ExchangeFailure } from './exchange-failure-decision.js';

const failure = (code: ExchangeFailure['code'], extra: Partial<ExchangeFailure> = {}): ExchangeFailure => ({
  code,
  message: `${code} happened`,
  ...extra,
});

describe('decideExchangeFailure (SPEC §4 step 3, §9.1)', () => {
  it.each([
    ['revoked', 'token.revoked', { kind: 'escalate', reason: 'token_revoked' }],
    ['consent_required', 'token.exchanged', { kind: 'escalate', reason: 'consent_required' }],
    ['token_expired', 'token.expired', { kind: 'escalate', reason: 'token_expired' }],
    ['insufficient_scope', 'token.exchanged', { kind: 'escalate', reason: 'insufficient_scope' }],
    ['exchange_refused', 'token.exchanged', { kind: 'fail', error: { code: 'exchange_refused' } }],
    ['scope_escalation', 'token.exchanged', { kind: 'fail', error: { code: 'scope_escalation' } }],
    ['transient', 'token.exchanged', { kind: 'retry', error: { code: 'exchange_failed' } }],
    ['fatal', 'token.exchanged', { kind: 'fail', error: { code: 'exchange_failed' } }],
  ] as const)('%s → audit %s and %o', (code, operation, verdict) => {
    const decided = decideExchangeFailure(failure(code));
    expect(decided.audit).toMatchObject({ operation, success: false });
    expect(decided.verdict).toMatchObject(verdict);
  });

  it('names the OAuth error in the audit entry when the server gave one, else the class', () => {
    expect(decideExchangeFailure(failure('revoked', { oauthError: 'invalid_grant' })).audit.error).toBe(
      'invalid_grant',
    );
    expect(decideExchangeFailure(failure('fatal')).audit.error).toBe('fatal');
    expect(decideExchangeFailure(failure('scope_escalation', { oauthError: 'x' })).audit.error).toBe(
      'scope_escalation',
    );
  });

  it('carries the missing and widened scopes into the audit and the messages', () => {
    const missing = decideExchangeFailure(failure('insufficient_scope', { missingScopes: ['a:write'] }));
    expect(missing.audit.details).toEqual({ message: 'insufficient_scope happened', missing: ['a:write'] });
    expect(missing.verdict).toMatchObject({ detail: 'the authorization server left out a:write' });
    const widened = decideExchangeFailure(failure('scope_escalation', { widenedScopes: ['admin'] }));
    expect(widened.audit.details).toEqual({ message: 'scope_escalation happened', widened: ['admin'] });
    expect(widened.verdict).toMatchObject({
      error: { message: 'the authorization server granted unrequested scopes admin; token discarded' },
    });
  });

  it("prefers a vendor's own escalation detail (Entra's claims challenge) for consent", () => {
    expect(
      decideExchangeFailure(failure('consent_required', { escalationDetail: 'claims={"x":1}' })).verdict,
    ).toMatchObject({ detail: 'claims={"x":1}' });
    expect(
      decideExchangeFailure(failure('consent_required', { oauthError: 'interaction_required' })).verdict,
    ).toMatchObject({
      detail: 'the authorization server answered interaction_required',
    });
  });

  it('passes Retry-After on to a transient retry, and only when present', () => {
    expect(decideExchangeFailure(failure('transient', { retryAfterMs: 2000 })).verdict).toEqual({
      kind: 'retry',
      error: { code: 'exchange_failed', message: 'transient happened' },
      retryAfterMs: 2000,
    });
    expect(decideExchangeFailure(failure('transient')).verdict).not.toHaveProperty('retryAfterMs');
  });
});
