import { describe, expect, it } from '@jest/globals';
import { scopesToRequest } from './scopes-to-request.js';

describe('scopesToRequest', () => {
  const node = { requiredScopes: ['a:read'], optionalScopes: ['a:notify', 'a:write'] };

  it('token (the default) narrows against the user token', () => {
    expect(scopesToRequest({ ...node, userScopes: ['a:read', 'a:write', 'mail'] })).toEqual({
      granted: ['a:read', 'a:write'],
      missing: [],
    });
    expect(scopesToRequest({ ...node, scopeSource: 'token', userScopes: ['a:write'] })).toEqual({
      granted: ['a:read', 'a:write'],
      missing: ['a:read'],
    });
  });

  it('authorization-server requests every declared scope whatever the token names, and nothing else', () => {
    expect(
      scopesToRequest({ ...node, scopeSource: 'authorization-server', userScopes: ['baton:workflows:write', 'mail'] }),
    ).toEqual({
      granted: ['a:read', 'a:notify', 'a:write'],
      missing: [],
    });
  });
});
