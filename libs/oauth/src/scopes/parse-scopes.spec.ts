import { describe, expect, it } from '@jest/globals';
import { parseScopes, scopesFromClaims } from './parse-scopes.js';

describe('parseScopes', () => {
  it('splits a space-separated string, ignoring extra whitespace and duplicates', () => {
    expect(parseScopes(' a  b\tc a ')).toEqual(['a', 'b', 'c']);
  });

  it('reads an array of strings', () => {
    expect(parseScopes(['a', 'b c', 'a'])).toEqual(['a', 'b', 'c']);
  });

  it('yields nothing for absent or malformed values', () => {
    for (const value of [undefined, null, '', 42, { a: 1 }, true]) expect(parseScopes(value)).toEqual([]);
    expect(parseScopes(['a', 7, null, 'b'])).toEqual(['a', 'b']);
  });
});

describe('scopesFromClaims', () => {
  it('prefers `scope`, falls back to `scp`', () => {
    expect(scopesFromClaims({ scope: 'a b', scp: ['c'] })).toEqual(['a', 'b']);
    expect(scopesFromClaims({ scp: ['c', 'd'] })).toEqual(['c', 'd']);
    expect(scopesFromClaims({ scp: 'c d' })).toEqual(['c', 'd']);
    expect(scopesFromClaims({})).toEqual([]);
  });
});

describe('scopesFromClaims: Entra shapes (SPEC §9.1)', () => {
  it('accepts scp as a space-separated string and never reads roles as scopes', () => {
    expect(scopesFromClaims({ scp: 'Expenses.Read User.Read', roles: ['Expenses.Admin'] })).toEqual([
      'Expenses.Read',
      'User.Read',
    ]);
    expect(scopesFromClaims({ roles: ['Expenses.Admin', 'baton:workflows:write'] })).toEqual([]);
  });
});
