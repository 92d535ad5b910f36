import { describe, expect, it } from '@jest/globals';
import type { ExchangeProfile, ExchangeVendor } from '@baton/platform';
import { SignJWT } from 'jose';
import { classifyExchangeError, type ExchangeFailureKind } from '../../errors/exchange-failure.js';
import { JWT_BEARER_GRANT_TYPE, entraScope } from './entra.strategy.js';
import { TOKEN_EXCHANGE_GRANT_TYPE } from './rfc8693-request.js';
import { vendorStrategy } from './vendor-strategies.js';
import type { VendorExchangeInput } from './vendor-strategy.js';

/** Every row of the SPEC §9.1 table, one strategy at a time: request, scopes read back, errors. */

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

function profile(vendor: ExchangeVendor, overrides: Partial<ExchangeProfile> = {}): ExchangeProfile {
  return {
    name: vendor,
    vendor,
    issuer: 'https://idp.example.com',
    clientId: 'baton-worker',
    clientAuth: 'client_secret_basic',
    clientSecret: 's3cret',
    privateKeyAlg: 'RS256',
    subjectTokenType: ACCESS_TOKEN_TYPE,
    extraParams: {},
    expirySkewSeconds: 30,
    ...overrides,
  };
}

const input: VendorExchangeInput = {
  subjectToken: 'user-token',
  audience: 'https://expenses.example.com',
  resource: 'https://expenses.example.com/api',
  scopes: ['expenses:read', 'expenses:notify'],
};

function fields(
  vendor: ExchangeVendor,
  overrides: Partial<ExchangeProfile> = {},
  request: VendorExchangeInput = input,
) {
  const { grantType, parameters } = vendorStrategy(vendor).buildRequest(profile(vendor, overrides), request);
  return { grantType, fields: Object.fromEntries(parameters) };
}

/** What openid-client throws for a 4xx JSON error body (ResponseBodyError's fields). */
function errorBody(status: number, body: Record<string, unknown>) {
  return {
    name: 'ResponseBodyError',
    code: 'OAUTH_RESPONSE_BODY_ERROR',
    error: body.error,
    error_description: body.error_description,
    status,
    cause: body,
    response: { status, headers: new Headers() },
  };
}

function kindOf(vendor: ExchangeVendor, status: number, body: Record<string, unknown>): ExchangeFailureKind {
  return classifyExchangeError(errorBody(status, body), Date.now(), vendorStrategy(vendor).classifyError).kind;
}

describe('vendorStrategy', () => {
  it('is generic when no vendor is set', () => {
    expect(vendorStrategy(undefined).vendor).toBe('generic');
  });
});

describe('requests (SPEC §9.1 "request" column)', () => {
  it("generic: RFC 8693 with audience, resource, scope and the profile's requested_token_type", () => {
    expect(fields('generic', { requestedTokenType: ACCESS_TOKEN_TYPE })).toEqual({
      grantType: TOKEN_EXCHANGE_GRANT_TYPE,
      fields: {
        subject_token: 'user-token',
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        audience: 'https://expenses.example.com',
        resource: 'https://expenses.example.com/api',
        scope: 'expenses:read expenses:notify',
      },
    });
  });

  it('keycloak: audience, scope, requested_token_type, never resource', () => {
    const { grantType, fields: sent } = fields('keycloak', { requestedTokenType: ACCESS_TOKEN_TYPE });
    expect(grantType).toBe(TOKEN_EXCHANGE_GRANT_TYPE);
    expect(sent).toEqual({
      subject_token: 'user-token',
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      audience: 'https://expenses.example.com',
      scope: 'expenses:read expenses:notify',
    });
  });

  it('okta: RFC 8693 with audience and scope', () => {
    const { fields: sent } = fields('okta', {}, { ...input, resource: undefined });
    expect(sent).toEqual({
      subject_token: 'user-token',
      subject_token_type: ACCESS_TOKEN_TYPE,
      audience: 'https://expenses.example.com',
      scope: 'expenses:read expenses:notify',
    });
  });

  it("auth0: the profile's own subject_token_type, never requested_token_type or resource", () => {
    const { fields: sent } = fields('auth0', {
      subjectTokenType: 'urn:acme:baton-user-token',
      requestedTokenType: ACCESS_TOKEN_TYPE,
    });
    expect(sent).toEqual({
      subject_token: 'user-token',
      subject_token_type: 'urn:acme:baton-user-token',
      audience: 'https://expenses.example.com',
      scope: 'expenses:read expenses:notify',
    });
  });

  it('entra: jwt-bearer on-behalf-of, scopes prefixed by the audience, no audience or resource', () => {
    const request = {
      ...input,
      audience: 'api://expenses',
      scopes: ['Expenses.Read', 'https://graph.microsoft.com/User.Read'],
    };
    expect(fields('entra', {}, request)).toEqual({
      grantType: JWT_BEARER_GRANT_TYPE,
      fields: {
        assertion: 'user-token',
        requested_token_use: 'on_behalf_of',
        scope: 'api://expenses/Expenses.Read https://graph.microsoft.com/User.Read',
      },
    });
  });

  it('entra: a scope that already is a URI keeps its name; a trailing slash on the audience is not doubled', () => {
    expect(entraScope('Expenses.Read', 'api://expenses/')).toBe('api://expenses/Expenses.Read');
    expect(entraScope('api://other/Files.Read', 'api://expenses')).toBe('api://other/Files.Read');
    expect(entraScope('Expenses.Read', undefined)).toBe('Expenses.Read');
  });

  it('google: RFC 8693 with audience, scope, jwt subject token, access_token requested, options from extraParams', () => {
    const google = profile('google', {
      subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
      requestedTokenType: ACCESS_TOKEN_TYPE,
      extraParams: { options: '{"userProject":"my-project"}' },
    });
    const audience = '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/baton';
    const { parameters } = vendorStrategy('google').buildRequest(google, {
      subjectToken: 't',
      audience,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    });
    expect(Object.fromEntries(parameters)).toEqual({
      subject_token: 't',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      requested_token_type: ACCESS_TOKEN_TYPE,
      audience,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      options: '{"userProject":"my-project"}',
    });
  });

  it('actor tokens ride along as actor_token/actor_token_type', () => {
    const { fields: sent } = fields(
      'okta',
      {},
      { ...input, actorToken: { token: 'actor-jwt', type: 'urn:ietf:params:oauth:token-type:jwt' } },
    );
    expect(sent).toMatchObject({ actor_token: 'actor-jwt', actor_token_type: 'urn:ietf:params:oauth:token-type:jwt' });
  });

  it('extraParams never replace a grant field, whatever the vendor', () => {
    for (const vendor of ['generic', 'keycloak', 'okta', 'auth0', 'entra', 'google'] as const) {
      const { fields: sent } = fields(vendor, {
        extraParams: {
          assertion: 'x',
          requested_token_use: 'x',
          scope: 'x',
          subject_token: 'x',
          organization: 'org_1',
        },
      });
      expect(sent.organization).toBe('org_1');
      expect(sent.scope).not.toBe('x');
      expect(sent.assertion === 'x' || sent.subject_token === 'x' || sent.requested_token_use === 'x').toBe(false);
    }
  });
});

describe('granted scopes read back', () => {
  it('generic, okta, auth0, google: the answer\'s scope, or undefined for "as requested"', () => {
    for (const vendor of ['generic', 'okta', 'auth0', 'google'] as const) {
      expect(vendorStrategy(vendor).grantedScope({ access_token: 'opaque', scope: 'a b' }, input)).toBe('a b');
      expect(vendorStrategy(vendor).grantedScope({ access_token: 'opaque' }, input)).toBeUndefined();
    }
  });

  it("keycloak: without scope in the answer, the issued JWT's scope claim", async () => {
    const jwt = await new SignJWT({ scope: 'expenses:read profile' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32));
    expect(vendorStrategy('keycloak').grantedScope({ access_token: jwt }, input)).toBe('expenses:read profile');
    expect(vendorStrategy('keycloak').grantedScope({ access_token: jwt, scope: 'expenses:read' }, input)).toBe(
      'expenses:read',
    );
    expect(vendorStrategy('keycloak').grantedScope({ access_token: 'opaque' }, input)).toBeUndefined();
  });

  it('entra: the audience prefix is removed and names compared case-insensitively', () => {
    const request = { ...input, audience: 'api://expenses', scopes: ['Expenses.Read', 'Expenses.Notify'] };
    expect(
      vendorStrategy('entra').grantedScope(
        { access_token: 'x', scope: 'API://expenses/expenses.read api://expenses/Expenses.Notify' },
        request,
      ),
    ).toBe('Expenses.Read Expenses.Notify');
    // A scope that was not requested stays itself, so the exchanger sees the widening.
    expect(
      vendorStrategy('entra').grantedScope(
        { access_token: 'x', scope: 'api://expenses/Expenses.Read api://expenses/Expenses.Delete' },
        request,
      ),
    ).toBe('Expenses.Read Expenses.Delete');
  });
});

describe('error classification (SPEC §9.1 "notes" column)', () => {
  const generic: Array<[string, ExchangeFailureKind]> = [
    ['invalid_grant', 'revoked'],
    ['invalid_request', 'revoked'],
    ['consent_required', 'consent_required'],
    ['interaction_required', 'consent_required'],
    ['invalid_scope', 'consent_required'],
    ['invalid_target', 'consent_required'],
    ['invalid_client', 'fatal'],
    ['access_denied', 'fatal'],
  ];
  it.each(generic)('generic: %s → %s', (error, kind) => {
    expect(kindOf('generic', 400, { error })).toBe(kind);
    expect(kindOf('google', 400, { error })).toBe(kind);
  });

  it('keycloak: invalid_request ("Invalid token") → revoked; access_denied → exchange_refused', () => {
    expect(kindOf('keycloak', 400, { error: 'invalid_request', error_description: 'Invalid token' })).toBe('revoked');
    expect(
      kindOf('keycloak', 403, { error: 'access_denied', error_description: 'Client is not within the token audience' }),
    ).toBe('exchange_refused');
  });

  it('okta: invalid_grant → revoked; invalid_scope and access_denied → consent_required', () => {
    expect(kindOf('okta', 400, { error: 'invalid_grant' })).toBe('revoked');
    expect(kindOf('okta', 400, { error: 'invalid_scope' })).toBe('consent_required');
    expect(kindOf('okta', 403, { error: 'access_denied' })).toBe('consent_required');
  });

  it('auth0: invalid_request and invalid_grant → revoked; access_denied → consent_required; 429 → transient', () => {
    expect(kindOf('auth0', 400, { error: 'invalid_request' })).toBe('revoked');
    expect(kindOf('auth0', 400, { error: 'invalid_grant' })).toBe('revoked');
    expect(kindOf('auth0', 403, { error: 'access_denied' })).toBe('consent_required');
    expect(kindOf('auth0', 429, { error: 'too_many_requests' })).toBe('transient');
  });

  it('entra: AADSTS65001 and interaction_required → consent_required carrying the claims challenge', () => {
    const claims = '{"access_token":{"polids":{"essential":true,"values":["c1"]}}}';
    const consent = classifyExchangeError(
      errorBody(400, {
        error: 'invalid_grant',
        error_description: 'AADSTS65001: The user or administrator has not consented',
        error_codes: [65001],
        claims,
      }),
      Date.now(),
      vendorStrategy('entra').classifyError,
    );
    expect(consent).toMatchObject({ kind: 'consent_required', code: 'invalid_grant' });
    expect(consent.escalationDetail).toContain('AADSTS65001');
    expect(consent.escalationDetail).toContain(claims);
    const interaction = classifyExchangeError(
      errorBody(400, { error: 'interaction_required', error_codes: [50076], claims }),
      Date.now(),
      vendorStrategy('entra').classifyError,
    );
    expect(interaction.kind).toBe('consent_required');
    expect(interaction.escalationDetail).toContain(claims);
  });

  it('entra: AADSTS500133 → token_expired; any other invalid_grant → revoked', () => {
    expect(kindOf('entra', 400, { error: 'invalid_grant', error_codes: [500133] })).toBe('token_expired');
    expect(kindOf('entra', 400, { error: 'invalid_grant', error_codes: [50173] })).toBe('revoked');
    expect(kindOf('entra', 400, { error: 'invalid_grant' })).toBe('revoked');
    expect(kindOf('entra', 401, { error: 'invalid_client', error_codes: [7000215] })).toBe('fatal');
  });

  it('a 5xx stays transient whatever a vendor would say about its body', () => {
    expect(kindOf('keycloak', 503, { error: 'access_denied' })).toBe('transient');
  });
});
