import { describe, expect, it } from '@jest/globals';
import { checkSetClaims, checkSetHeader } from './set-claims.js';
import { SetRefusal } from './set-refusal.js';

const NOW = 1_800_000_000;
const valid = { iss: 'https://idp', aud: 'x', iat: NOW, jti: 'j', events: { 'urn:e': {} } };

function errOf(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof SetRefusal) return error.err;
    throw error;
  }
}

describe('checkSetHeader (SPEC §10.2)', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'])('accepts %s', (alg) => {
    expect(errOf(() => checkSetHeader({ alg, typ: 'secevent+jwt' }, true))).toBeNull();
  });

  it.each(['none', 'HS256', 'HS512', 'dir', undefined])('refuses alg %p as invalid_key', (alg) => {
    expect(errOf(() => checkSetHeader({ alg, typ: 'secevent+jwt' } as never, true))).toBe('invalid_key');
  });

  it('typ: secevent+jwt or application/secevent+jwt, any case', () => {
    for (const typ of ['secevent+jwt', 'application/secevent+jwt', 'SecEvent+JWT'])
      expect(errOf(() => checkSetHeader({ alg: 'ES256', typ }, true))).toBeNull();
    for (const typ of ['JWT', 'at+jwt', 'application/jwt'])
      expect(errOf(() => checkSetHeader({ alg: 'ES256', typ }, true))).toBe('invalid_request');
  });

  it('a missing typ is refused only when required; a wrong one always', () => {
    expect(errOf(() => checkSetHeader({ alg: 'ES256' }, true))).toBe('invalid_request');
    expect(errOf(() => checkSetHeader({ alg: 'ES256' }, false))).toBeNull();
    expect(errOf(() => checkSetHeader({ alg: 'ES256', typ: 'JWT' }, false))).toBe('invalid_request');
  });
});

describe('checkSetClaims (SPEC §10.2)', () => {
  it('accepts a SET with iat, jti and one event, and returns the events', () => {
    expect(checkSetClaims(valid, NOW)).toEqual({ events: { 'urn:e': {} } });
  });

  it.each<[string, Record<string, unknown>]>([
    ['sub present', { sub: 'a' }],
    ['exp present', { exp: NOW + 60 }],
    ['iat missing', { iat: undefined }],
    ['iat a string', { iat: String(NOW) }],
    ['iat more than 5 minutes ahead', { iat: NOW + 301 }],
    ['jti missing', { jti: undefined }],
    ['jti empty', { jti: '' }],
    ['events missing', { events: undefined }],
    ['events empty', { events: {} }],
    ['events an array', { events: ['urn:e'] }],
    ['events a string', { events: 'urn:e' }],
  ])('refuses %s as invalid_request', (_, change) => {
    const claims = Object.fromEntries(Object.entries({ ...valid, ...change }).filter(([, v]) => v !== undefined));
    expect(errOf(() => checkSetClaims(claims, NOW))).toBe('invalid_request');
  });

  it('iat up to 5 minutes ahead, and any time in the past, is accepted', () => {
    expect(errOf(() => checkSetClaims({ ...valid, iat: NOW + 300 }, NOW))).toBeNull();
    expect(errOf(() => checkSetClaims({ ...valid, iat: NOW - 86_400 }, NOW))).toBeNull();
  });
});
