import { describe, expect, it } from '@jest/globals';
import { narrowScopes } from './narrow-scopes.js';

describe('narrowScopes', () => {
  it('grants required plus the optional scopes the user holds, never the user’s others', () => {
    expect(
      narrowScopes({
        requiredScopes: ['expenses:write'],
        optionalScopes: ['expenses:notify', 'expenses:archive'],
        userScopes: ['expenses:archive', 'expenses:write', 'admin', 'expenses:notify'],
      }),
    ).toEqual({ granted: ['expenses:write', 'expenses:notify', 'expenses:archive'], missing: [] });
  });

  it('reports required scopes the user lacks, and still lists them as granted', () => {
    expect(narrowScopes({ requiredScopes: ['a', 'b', 'c'], optionalScopes: ['d'], userScopes: ['b', 'd'] })).toEqual({
      granted: ['a', 'b', 'c', 'd'],
      missing: ['a', 'c'],
    });
  });

  it('drops optional scopes the user lacks and defaults optional to none', () => {
    expect(narrowScopes({ requiredScopes: ['a'], optionalScopes: ['x'], userScopes: ['a'] }).granted).toEqual(['a']);
    expect(narrowScopes({ requiredScopes: ['a'], userScopes: ['a', 'x'] })).toEqual({ granted: ['a'], missing: [] });
  });

  it('deduplicates, keeping the first position', () => {
    expect(
      narrowScopes({ requiredScopes: ['a', 'b', 'a'], optionalScopes: ['b', 'c', 'c'], userScopes: ['a', 'b', 'c'] }),
    ).toEqual({ granted: ['a', 'b', 'c'], missing: [] });
    expect(narrowScopes({ requiredScopes: ['a', 'a'], userScopes: [] }).missing).toEqual(['a']);
  });
});
