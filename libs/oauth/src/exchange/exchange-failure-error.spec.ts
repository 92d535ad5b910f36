import { describe, expect, it } from '@jest/globals';
import { exchangeFailureError, redact } from './exchange-failure-error.js';
import { TokenExchangeError } from './token-exchange-error.js';

const NOW = Date.UTC(2026, 10, 2, 12, 0, 0);
const SUBJECT = 'eyJ.subject-token.sig';
const SECRET = 'client-secret-value';
const context = { profile: 'corp', stage: 'token' as const, secrets: [SUBJECT, SECRET, undefined], now: NOW };

/** Shaped like openid-client 6's errors (classification reads fields, not classes). */
const bodyError = (error: string, status: number, description?: string) =>
  Object.assign(new Error('server responded with an error in the response body'), {
    name: 'ResponseBodyError',
    code: 'OAUTH_RESPONSE_BODY_ERROR',
    error,
    status,
    error_description: description,
    response: { status, headers: new Headers() },
  });
const challengeError = (status: number, error: string) =>
  Object.assign(new Error('server responded with a challenge in the WWW-Authenticate HTTP Header'), {
    name: 'WWWAuthenticateChallengeError',
    code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
    status,
    cause: [{ scheme: 'basic', parameters: { error } }],
    response: { status, headers: new Headers() },
  });
const notConform = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error('"response" is not a conform Token Endpoint response'), {
    name: 'ClientError',
    code: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
    cause: new Response('{}', { status, headers }),
  });
const fetchFailed = () =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });

describe('exchangeFailureError', () => {
  it('maps an OAuth error body to its code and keeps the OAuth error', () => {
    const err = bodyError('invalid_grant', 400, 'subject_token has been revoked');
    const error = exchangeFailureError(err, context);
    expect(error).toBeInstanceOf(TokenExchangeError);
    expect(error).toMatchObject({
      code: 'revoked',
      oauthError: 'invalid_grant',
      status: 400,
      profile: 'corp',
      cause: err,
    });
    expect(error.message).toBe('token exchange (profile "corp") failed: subject_token has been revoked');
    expect(error.retryable).toBe(false);
  });

  it.each([
    ['invalid_scope', 'consent_required'],
    ['consent_required', 'consent_required'],
    ['invalid_request', 'revoked'],
    ['unsupported_grant_type', 'fatal'],
  ])('%s → %s', (oauthError, code) => {
    expect(exchangeFailureError(bodyError(oauthError, 400), context)).toMatchObject({ code, oauthError });
  });

  it('reads the OAuth error of a WWW-Authenticate challenge (bad client credentials are fatal)', () => {
    expect(exchangeFailureError(challengeError(401, 'invalid_client'), context)).toMatchObject({
      code: 'fatal',
      oauthError: 'invalid_client',
      status: 401,
    });
  });

  it('makes a 5xx transient with Retry-After and no OAuth error', () => {
    const error = exchangeFailureError(notConform(503, { 'retry-after': '7' }), context);
    expect(error).toMatchObject({ code: 'transient', status: 503, retryAfterMs: 7000 });
    expect(error.oauthError).toBeUndefined();
    expect(error.retryable).toBe(true);
  });

  it('makes a network failure transient', () => {
    expect(exchangeFailureError(fetchFailed(), context)).toMatchObject({ code: 'transient' });
  });

  it('makes every metadata (discovery) failure transient', () => {
    expect(exchangeFailureError(fetchFailed(), { ...context, stage: 'metadata' })).toMatchObject({ code: 'transient' });
    const notFound = exchangeFailureError(notConform(404), { ...context, stage: 'metadata' });
    expect(notFound).toMatchObject({ code: 'transient', status: 404 });
    expect(notFound.message).toContain('authorization server metadata unavailable');
  });

  it('cuts secrets out of whatever the server or an unexpected error said', () => {
    const echoed = exchangeFailureError(bodyError('invalid_grant', 400, `bad token ${SUBJECT} for ${SECRET}`), context);
    const unexpected = exchangeFailureError(new Error(`boom ${SECRET}`), context);
    for (const error of [echoed, unexpected]) {
      expect(error.message).toContain('[redacted]');
      for (const text of [error.message, String(error), error.stack ?? '']) {
        expect(text).not.toContain(SUBJECT);
        expect(text).not.toContain(SECRET);
      }
    }
  });
});

describe('redact', () => {
  it('replaces every occurrence, longest secret first, and ignores empty ones', () => {
    expect(redact('abc abcdef x', ['abc', 'abcdef', '', undefined])).toBe('[redacted] [redacted] x');
  });
});
