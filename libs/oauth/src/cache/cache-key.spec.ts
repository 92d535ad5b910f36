import { describe, expect, it } from '@jest/globals';
import { cacheKey, type ExchangedTokenCacheKeyParts } from './cache-key.js';

const parts: ExchangedTokenCacheKeyParts = {
  subjectToken: 'eyJhbGciOiJSUzI1NiJ9.user-token.signature',
  profile: 'corp',
  audience: 'https://expenses.example.com',
  scopes: ['expenses:read', 'expenses:write'],
};

describe('cacheKey', () => {
  it('is a fixed-size hash that never contains the subject token', () => {
    const key = cacheKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('user-token');
  });

  it('ignores scope order and duplicates', () => {
    expect(cacheKey({ ...parts, scopes: ['expenses:write', 'expenses:read', 'expenses:read'] })).toBe(cacheKey(parts));
  });

  it('changes with every other part', () => {
    const variants: ExchangedTokenCacheKeyParts[] = [
      { ...parts, subjectToken: `${parts.subjectToken}x` },
      { ...parts, profile: 'other' },
      { ...parts, audience: 'https://other.example.com' },
      { ...parts, audience: undefined },
      { ...parts, resource: 'https://expenses.example.com/api' },
      { ...parts, scopes: ['expenses:read'] },
    ];
    const keys = new Set([cacheKey(parts), ...variants.map(cacheKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it('does not let values shift between parts', () => {
    expect(cacheKey({ ...parts, profile: 'a', audience: 'b|c' })).not.toBe(
      cacheKey({ ...parts, profile: 'a|b', audience: 'c' }),
    );
    expect(cacheKey({ ...parts, audience: 'x', resource: undefined })).not.toBe(
      cacheKey({ ...parts, audience: undefined, resource: 'x' }),
    );
  });
});
