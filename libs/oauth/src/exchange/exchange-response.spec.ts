import { describe, expect, it } from '@jest/globals';
import { checkGrantedScopes, DEFAULT_EXPIRES_IN_SECONDS, toExchangedToken } from './exchange-response.js';

const NOW = new Date(Date.UTC(2026, 10, 2, 12, 0, 0));
const fakeJwt = (payload: Record<string, unknown>): string =>
  [{ alg: 'RS256', typ: 'at+jwt' }, payload]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.') + '.sig';

describe('checkGrantedScopes', () => {
  it('accepts exactly the requested scopes, in any order', () => {
    expect(checkGrantedScopes(['a', 'b'], ['a'], 'b a')).toEqual({ ok: true, scopes: ['b', 'a'] });
  });

  it('takes an absent scope to mean the requested scopes (RFC 6749 §5.1)', () => {
    expect(checkGrantedScopes(['a', 'b', 'a'], ['a'], undefined)).toEqual({ ok: true, scopes: ['a', 'b'] });
  });

  it('accepts a narrower grant that keeps every required scope', () => {
    expect(checkGrantedScopes(['a', 'optional'], ['a'], 'a')).toEqual({ ok: true, scopes: ['a'] });
  });

  it('reports scopes granted without being requested', () => {
    expect(checkGrantedScopes(['a'], ['a'], 'a admin  b')).toEqual({
      ok: false,
      code: 'scope_escalation',
      widened: ['admin', 'b'],
    });
  });

  it('reports widening before anything missing', () => {
    expect(checkGrantedScopes(['a', 'b'], ['a', 'b'], 'a admin')).toMatchObject({
      code: 'scope_escalation',
      widened: ['admin'],
    });
  });

  it('reports required scopes left out', () => {
    expect(checkGrantedScopes(['a', 'b', 'c'], ['a', 'b'], 'c')).toEqual({
      ok: false,
      code: 'insufficient_scope',
      missing: ['a', 'b'],
      scopes: ['c'],
    });
    expect(checkGrantedScopes(['a'], ['a'], '')).toMatchObject({ code: 'insufficient_scope', missing: ['a'] });
  });
});

describe('toExchangedToken', () => {
  it('computes expiresAt from expires_in and reads the jti of a JWT', () => {
    const accessToken = fakeJwt({ sub: 'alice', jti: 'jti-1' });
    expect(toExchangedToken({ access_token: accessToken, expires_in: 120 }, ['a'], NOW)).toEqual({
      accessToken,
      expiresAt: new Date(NOW.getTime() + 120_000),
      scopes: ['a'],
      jti: 'jti-1',
    });
  });

  it(`assumes ${DEFAULT_EXPIRES_IN_SECONDS} s without expires_in`, () => {
    expect(toExchangedToken({ access_token: 'opaque' }, [], NOW).expiresAt).toEqual(new Date(NOW.getTime() + 300_000));
  });

  it('tolerates opaque tokens and JWTs without a jti', () => {
    expect(toExchangedToken({ access_token: 'opaque-token' }, [], NOW)).not.toHaveProperty('jti');
    expect(toExchangedToken({ access_token: 'a.b.c' }, [], NOW)).not.toHaveProperty('jti');
    expect(toExchangedToken({ access_token: fakeJwt({ sub: 'alice' }) }, [], NOW)).not.toHaveProperty('jti');
    expect(toExchangedToken({ access_token: fakeJwt({ jti: 42 }) }, [], NOW)).not.toHaveProperty('jti');
  });
});
