import { describe, expect, it } from '@jest/globals';
import { classifyDownstreamStatus } from '../../../../oauth/src/index.js';
import type { HttpCallOutcome } from '../../nodes/http/http-call-outcome.js';
import { decideHttpOutcome, type HttpCallContext } from './http-outcome-decision.js';

const context = (over: Partial<HttpCallContext> = {}): HttpCallContext => ({
  target: 'GET https://x/y',
  withToken: true,
  refreshed: false,
  timeoutMs: 1000,
  grantedScopes: ['a:read'],
  ...over,
});
const answer = (status: number, retryAfter?: string): HttpCallOutcome => ({
  kind: 'response',
  status,
  headers: {},
  body: { s: status },
  classification: classifyDownstreamStatus(status, retryAfter),
});

describe('decideHttpOutcome (SPEC §4 step 4)', () => {
  it('succeeds on 2xx and 3xx with the answer as output, auditing token.used', () => {
    for (const status of [200, 204, 302]) {
      const { audits, decision } = decideHttpOutcome(answer(status), context());
      expect(decision).toEqual({ kind: 'succeed', output: { status, headers: {}, body: { s: status } } });
      expect(audits).toEqual([{ operation: 'token.used', success: true, details: { status } }]);
    }
  });

  it('writes no token.used for a node without a token', () => {
    expect(decideHttpOutcome(answer(200), context({ withToken: false })).audits).toEqual([]);
    expect(decideHttpOutcome({ kind: 'timeout' }, context({ withToken: false })).audits).toEqual([]);
  });

  it('on a first 401 asks for a fresh exchange; on a second escalates token_revoked with token.revoked', () => {
    expect(decideHttpOutcome(answer(401), context()).decision).toEqual({ kind: 'refresh_token' });
    const again = decideHttpOutcome(answer(401), context({ refreshed: true }));
    expect(again.decision).toMatchObject({ kind: 'escalate', reason: 'token_revoked' });
    expect(again.audits.map((a) => a.operation)).toEqual(['token.used', 'token.revoked']);
    expect(again.audits[0]).toMatchObject({ success: false, details: { status: 401 } });
  });

  it('escalates 403 as insufficient_scope naming the granted scopes', () => {
    expect(decideHttpOutcome(answer(403), context()).decision).toEqual({
      kind: 'escalate',
      reason: 'insufficient_scope',
      detail: 'GET https://x/y answered 403 to a token with scopes a:read',
    });
  });

  it('fails 401 and 403 without a token: nothing to refresh, nobody to ask', () => {
    for (const status of [401, 403])
      expect(decideHttpOutcome(answer(status), context({ withToken: false })).decision).toMatchObject({
        kind: 'fail',
        error: { code: 'http_error' },
      });
  });

  it('retries 5xx and 429, honouring Retry-After', () => {
    expect(decideHttpOutcome(answer(503), context()).decision).toEqual({
      kind: 'retry',
      error: { code: 'http_error', message: 'GET https://x/y answered 503' },
    });
    expect(decideHttpOutcome(answer(429, '3'), context()).decision).toMatchObject({
      kind: 'retry',
      retryAfterMs: 3000,
    });
  });

  it('fails other 4xx', () => {
    for (const status of [400, 404, 409, 422])
      expect(decideHttpOutcome(answer(status), context()).decision).toMatchObject({
        kind: 'fail',
        error: { code: 'http_error' },
      });
  });

  it.each([
    [
      { kind: 'timeout' } as const,
      { kind: 'retry', error: { code: 'timeout', message: 'no answer from GET https://x/y within 1000 ms' } },
    ],
    [
      { kind: 'network_error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } as const,
      { kind: 'retry', error: { code: 'network_error', message: 'GET https://x/y: connect ECONNREFUSED' } },
    ],
    [
      { kind: 'aborted' } as const,
      { kind: 'retry', error: { code: 'network_error', message: 'GET https://x/y: aborted' } },
    ],
    [
      { kind: 'response_too_large', limit: 10 } as const,
      { kind: 'fail', error: { code: 'http_error', message: 'GET https://x/y answered more than 10 bytes' } },
    ],
    [
      { kind: 'invalid_request', message: 'bad header' } as const,
      { kind: 'fail', error: { code: 'http_error', message: 'bad header' } },
    ],
    [
      { kind: 'destination_refused', code: 'private_address', message: '10.0.0.1 is private' } as const,
      { kind: 'fail', error: { code: 'private_address', message: '10.0.0.1 is private' } },
    ],
  ])('without an answer (%o) → %o, auditing a failed token.used', (result, decision) => {
    const decided = decideHttpOutcome(result, context());
    expect(decided.decision).toEqual(decision);
    expect(decided.audits).toEqual([{ operation: 'token.used', success: false, error: result.kind }]);
  });
});
