import { describe, expect, it } from '@jest/globals';
import { findMissingScopes, findWidenedScopes } from './scope-difference.js';

describe('findWidenedScopes', () => {
  it('lists returned scopes that were not requested', () => {
    expect(findWidenedScopes(['a', 'b'], ['b', 'admin', 'a', 'admin', 'root'])).toEqual(['admin', 'root']);
  });

  it('is empty when the server returned the request or less', () => {
    expect(findWidenedScopes(['a', 'b'], ['b', 'a'])).toEqual([]);
    expect(findWidenedScopes(['a', 'b'], ['a'])).toEqual([]);
  });
});

describe('findMissingScopes', () => {
  it('lists required scopes the server did not return', () => {
    expect(findMissingScopes(['a', 'b', 'c'], ['b'])).toEqual(['a', 'c']);
    expect(findMissingScopes(['a'], ['a', 'x'])).toEqual([]);
  });
});
