import { describe, expect, it } from '@jest/globals';
import { tokenExchangeParameters } from './token-exchange-parameters.js';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const profile = { subjectTokenType: ACCESS_TOKEN_TYPE, extraParams: {} as Record<string, string> };

describe('tokenExchangeParameters', () => {
  it('sends the subject token, its type, audience, resource and the scopes space-separated', () => {
    const params = tokenExchangeParameters(profile, {
      subjectToken: 'subject',
      audience: 'https://expenses.example.com',
      resource: 'https://expenses.example.com/api',
      scopes: ['expenses:read', 'expenses:write'],
    });
    expect([...params]).toEqual([
      ['subject_token', 'subject'],
      ['subject_token_type', ACCESS_TOKEN_TYPE],
      ['audience', 'https://expenses.example.com'],
      ['resource', 'https://expenses.example.com/api'],
      ['scope', 'expenses:read expenses:write'],
    ]);
  });

  it('leaves out what is not set, and the scope when there is none', () => {
    const params = tokenExchangeParameters(profile, { subjectToken: 'subject', scopes: [] });
    expect([...params.keys()]).toEqual(['subject_token', 'subject_token_type']);
  });

  it('drops duplicate scopes', () => {
    expect(tokenExchangeParameters(profile, { subjectToken: 's', scopes: ['a', 'b', 'a'] }).get('scope')).toBe('a b');
  });

  it('sends requested_token_type when the profile sets one', () => {
    const params = tokenExchangeParameters(
      { ...profile, requestedTokenType: 'urn:ietf:params:oauth:token-type:jwt' },
      { subjectToken: 's', scopes: ['a'] },
    );
    expect(params.get('requested_token_type')).toBe('urn:ietf:params:oauth:token-type:jwt');
  });

  it('adds extraParams but never lets them replace the grant or client authentication', () => {
    const params = tokenExchangeParameters(
      {
        ...profile,
        extraParams: {
          tenant: 'acme',
          subject_token: 'forged',
          scope: 'admin',
          audience: 'https://evil.example.com',
          client_secret: 'x',
          grant_type: 'password',
        },
      },
      { subjectToken: 's', audience: 'https://expenses.example.com', scopes: ['a'] },
    );
    expect(params.get('tenant')).toBe('acme');
    expect(params.getAll('subject_token')).toEqual(['s']);
    expect(params.getAll('scope')).toEqual(['a']);
    expect(params.getAll('audience')).toEqual(['https://expenses.example.com']);
    expect(params.has('client_secret')).toBe(false);
    expect(params.has('grant_type')).toBe(false);
  });
});
