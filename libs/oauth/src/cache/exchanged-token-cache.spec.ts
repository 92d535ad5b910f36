import { describe, expect, it } from '@jest/globals';
import { ExchangedTokenCache, type ExchangedToken } from './exchanged-token-cache.js';

const T0 = Date.UTC(2026, 10, 2, 12, 0, 0);
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const token = (name: string, expiresInSeconds = 300): ExchangedToken => ({
  accessToken: `access-${name}`,
  expiresAt: at(expiresInSeconds),
  scopes: ['expenses:read'],
  jti: `jti-${name}`,
});

describe('ExchangedTokenCache', () => {
  it('serves a token until skew seconds before it expires', () => {
    let now = at(0);
    const cache = new ExchangedTokenCache({ clock: () => now });
    cache.set('k', token('a', 300), 30);

    now = at(269);
    expect(cache.get('k')).toEqual(token('a', 300));
    now = at(270);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('accepts an explicit now', () => {
    const cache = new ExchangedTokenCache({ clock: () => at(0) });
    cache.set('k', token('a', 300), 30);
    expect(cache.get('k', at(100))?.accessToken).toBe('access-a');
    expect(cache.get('k', at(280))).toBeUndefined();
  });

  it('does not store a token that is already within the skew', () => {
    const cache = new ExchangedTokenCache({ clock: () => at(0) });
    cache.set('k', token('a', 20), 30);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('replaces an entry and forgets a deleted one', () => {
    const cache = new ExchangedTokenCache({ clock: () => at(0) });
    cache.set('k', token('a'), 30);
    cache.set('k', token('b'), 30);
    expect(cache.get('k')?.accessToken).toBe('access-b');
    expect(cache.delete('k')).toBe(true);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.delete('k')).toBe(false);
  });

  it('replacing with an unusable token drops the old one', () => {
    const cache = new ExchangedTokenCache({ clock: () => at(0) });
    cache.set('k', token('a'), 30);
    cache.set('k', token('b', 10), 30);
    expect(cache.get('k')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new ExchangedTokenCache({ maxEntries: 2, clock: () => at(0) });
    cache.set('a', token('a'), 30);
    cache.set('b', token('b'), 30);
    cache.get('a');
    cache.set('c', token('c'), 30);

    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.accessToken).toBe('access-a');
    expect(cache.get('c')?.accessToken).toBe('access-c');
  });

  it('holds 10 000 entries by default', () => {
    const cache = new ExchangedTokenCache({ clock: () => at(0) });
    for (let i = 0; i <= 10_000; i++) cache.set(`k${i}`, token(`${i}`), 30);
    expect(cache.size).toBe(10_000);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k10000')).toBeDefined();
  });

  it('refuses a non-positive bound', () => {
    expect(() => new ExchangedTokenCache({ maxEntries: 0 })).toThrow(RangeError);
  });

  it('drops the tokens of a tag together, and only those', () => {
    const cache = new ExchangedTokenCache({ clock: () => at(0) });
    cache.set('a', token('a'), 30, at(0), ['subject:1', 'run:r1']);
    cache.set('b', token('b'), 30, at(0), ['subject:1']);
    cache.set('c', token('c'), 30, at(0), ['subject:2', 'run:r1']);
    expect(
      cache
        .dropTagged('subject:1')
        .map((t) => t.accessToken)
        .sort(),
    ).toEqual(['access-a', 'access-b']);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')?.accessToken).toBe('access-c');
    // a's run tag no longer holds it; c's still does
    expect(cache.dropTagged('run:r1').map((t) => t.accessToken)).toEqual(['access-c']);
    expect(cache.dropTagged('run:r1')).toEqual([]);
    expect(cache.size).toBe(0);
  });

  it('an entry deleted, replaced or evicted leaves its tags', () => {
    const cache = new ExchangedTokenCache({ maxEntries: 1, clock: () => at(0) });
    cache.set('a', token('a'), 30, at(0), ['t']);
    cache.set('a', token('a2'), 30, at(0), []);
    expect(cache.dropTagged('t')).toEqual([]);
    cache.set('b', token('b'), 30, at(0), ['t']);
    cache.set('c', token('c'), 30, at(0), []); // evicts b
    expect(cache.dropTagged('t')).toEqual([]);
    expect(cache.get('c')).toBeDefined();
  });
});
