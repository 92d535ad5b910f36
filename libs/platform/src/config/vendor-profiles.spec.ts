import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { stringify } from 'yaml';
import { loadConfig } from './config.loader.js';

/** `exchangeProfiles.<p>.vendor`, `scopeSource`, `actor` and `trustedIssuers[].introspection` (SPEC §9). */

const KEY = Buffer.alloc(32, 7).toString('base64');
const pem = (type: 'ec' | 'ed25519', curve?: string) =>
  generateKeyPairSync(type as 'ec', { namedCurve: curve ?? 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
const AGENT_KEY = pem('ec');
const OLD_AGENT_KEY = pem('ed25519');
const ENV = {
  BATON_ENCRYPTION_KEY: KEY,
  SECRET: 's3',
  PEM: 'pem-text',
  CERT: 'cert-text',
  AGENT_KEY,
  OLD_AGENT_KEY,
  BAD_KEY: 'not-a-key',
  P384: pem('ec', 'P-384'),
};

function load(profile: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return loadConfig(ENV, () => stringify({ exchangeProfiles: { p: profile }, ...extra })).tenants.default!
    .exchangeProfiles.p!;
}

const failure = (profile: Record<string, unknown>) => () => load(profile);

describe('vendor profiles', () => {
  it('generic is the default and keeps SPEC §2 defaults', () => {
    const p = load({ issuer: 'https://idp.example.com', clientId: 'w', clientSecretEnv: 'SECRET' });
    expect(p).toMatchObject({
      vendor: 'generic',
      clientAuth: 'client_secret_basic',
      subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      scopeSource: 'token',
    });
    expect(p.requestedTokenType).toBeUndefined();
    expect(p.actor).toBeUndefined();
  });

  it('keycloak asks for an access token by default', () => {
    const p = load({
      vendor: 'keycloak',
      issuer: 'https://kc.example.com/realms/r',
      clientId: 'w',
      clientSecretEnv: 'SECRET',
    });
    expect(p.requestedTokenType).toBe('urn:ietf:params:oauth:token-type:access_token');
  });

  it("auth0 defaults to client_secret_post and requires a subjectTokenType of the customer's own", () => {
    const base = { vendor: 'auth0', issuer: 'https://t.auth0.com/', clientId: 'w', clientSecretEnv: 'SECRET' };
    expect(failure(base)).toThrow('exchangeProfiles.p.subjectTokenType: is required for vendor auth0');
    expect(failure({ ...base, subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token' })).toThrow(
      /subjectTokenType: uses a namespace Auth0 reserves/,
    );
    expect(load({ ...base, subjectTokenType: 'urn:acme:baton' })).toMatchObject({
      clientAuth: 'client_secret_post',
      subjectTokenType: 'urn:acme:baton',
    });
  });

  it('entra: secret in the body by default; a certificate assertion needs certificateEnv and RS256/PS256', () => {
    const base = { vendor: 'entra', issuer: 'https://login.microsoftonline.com/t/v2.0', clientId: 'w' };
    expect(load({ ...base, clientSecretEnv: 'SECRET' }).clientAuth).toBe('client_secret_post');
    expect(failure({ ...base, clientSecretEnv: 'SECRET', clientAuth: 'client_secret_basic' })).toThrow(
      /clientAuth: must be client_secret_post or private_key_jwt/,
    );
    expect(failure({ ...base, clientAuth: 'private_key_jwt', privateKeyEnv: 'PEM' })).toThrow(
      /certificateEnv: is required for vendor entra/,
    );
    expect(
      failure({
        ...base,
        clientAuth: 'private_key_jwt',
        privateKeyEnv: 'PEM',
        certificateEnv: 'CERT',
        privateKeyAlg: 'ES256',
      }),
    ).toThrow(/privateKeyAlg: must be RS256 or PS256/);
    expect(
      load({
        ...base,
        clientAuth: 'private_key_jwt',
        privateKeyEnv: 'PEM',
        certificateEnv: 'CERT',
        privateKeyAlg: 'PS256',
      }),
    ).toMatchObject({
      privateKey: 'pem-text',
      certificate: 'cert-text',
    });
  });

  it('google: no issuer or client needed, STS token endpoint, no client authentication, jwt subject tokens', () => {
    const p = load({ vendor: 'google' });
    expect(p).toMatchObject({
      issuer: 'https://sts.googleapis.com',
      tokenEndpoint: 'https://sts.googleapis.com/v1/token',
      clientAuth: 'none',
      subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
      requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    });
    expect(p.clientSecret).toBeUndefined();
    expect(failure({ vendor: 'google', clientAuth: 'client_secret_post', clientSecretEnv: 'SECRET' })).toThrow(
      /clientAuth: must be none for vendor google/,
    );
    expect(failure({ issuer: 'https://idp.example.com', clientId: 'w', clientAuth: 'none' })).toThrow(
      /clientAuth: none is only for vendor google/,
    );
  });

  it('every vendor but google needs issuer and clientId', () => {
    expect(failure({ vendor: 'okta', clientId: 'w', clientSecretEnv: 'SECRET' })).toThrow(
      'exchangeProfiles.p.issuer: is required for vendor okta',
    );
    expect(failure({ vendor: 'okta', issuer: 'https://o.okta.com/oauth2/x', clientSecretEnv: 'SECRET' })).toThrow(
      'exchangeProfiles.p.clientId: is required',
    );
  });

  it('revokeOnRunEnd (SPEC §10.4): off by default, with an optional revocationEndpoint; refused on entra and google', () => {
    const base = { issuer: 'https://idp.example.com', clientId: 'w', clientSecretEnv: 'SECRET' };
    expect(load(base).revokeOnRunEnd).toBe(false);
    const released = load({ ...base, revokeOnRunEnd: true, revocationEndpoint: 'https://idp.example.com/revoke' });
    expect(released).toMatchObject({ revokeOnRunEnd: true, revocationEndpoint: 'https://idp.example.com/revoke' });
    expect(
      failure({
        vendor: 'entra',
        issuer: 'https://login.microsoftonline.com/t/v2.0',
        clientId: 'w',
        clientSecretEnv: 'SECRET',
        revokeOnRunEnd: true,
      }),
    ).toThrow('exchangeProfiles.p.revokeOnRunEnd: is not supported by vendor entra');
    expect(failure({ vendor: 'google', revokeOnRunEnd: true })).toThrow(
      'exchangeProfiles.p.revokeOnRunEnd: is not supported by vendor google',
    );
  });

  it('scopeSource accepts token and authorization-server only', () => {
    const base = { issuer: 'https://idp.example.com', clientId: 'w', clientSecretEnv: 'SECRET' };
    expect(load({ ...base, scopeSource: 'authorization-server' }).scopeSource).toBe('authorization-server');
    expect(failure({ ...base, scopeSource: 'user' })).toThrow(/exchangeProfiles.p.scopeSource/);
  });

  it('actor: keys read from the named variables; refused on entra, google and keycloak', () => {
    const actor = {
      issuer: 'https://baton.example.com/agents',
      signingKeyEnv: 'AGENT_KEY',
      retiredKeyEnvs: ['OLD_AGENT_KEY'],
    };
    const okta = load({
      vendor: 'okta',
      issuer: 'https://o.okta.com/oauth2/x',
      clientId: 'w',
      clientSecretEnv: 'SECRET',
      actor,
    });
    expect(okta.actor).toEqual({
      issuer: actor.issuer,
      signingKey: AGENT_KEY,
      retiredKeys: [OLD_AGENT_KEY],
      tokenType: 'urn:ietf:params:oauth:token-type:jwt',
    });
    for (const bad of ['BAD_KEY', 'P384']) {
      expect(
        failure({
          vendor: 'okta',
          issuer: 'https://o.okta.com/oauth2/x',
          clientId: 'w',
          clientSecretEnv: 'SECRET',
          actor: { ...actor, signingKeyEnv: bad },
        }),
      ).toThrow(
        `exchangeProfiles.p.actor.signingKeyEnv: environment variable ${bad} does not hold an RSA, P-256 or Ed25519 private key`,
      );
    }
    expect(
      failure({
        vendor: 'okta',
        issuer: 'https://o.okta.com/oauth2/x',
        clientId: 'w',
        clientSecretEnv: 'SECRET',
        actor: { ...actor, signingKeyEnv: 'NOPE' },
      }),
    ).toThrow('exchangeProfiles.p.actor.signingKeyEnv: environment variable NOPE is not set');
    expect(
      failure({
        vendor: 'entra',
        issuer: 'https://login.microsoftonline.com/t/v2.0',
        clientId: 'w',
        clientSecretEnv: 'SECRET',
        actor,
      }),
    ).toThrow('exchangeProfiles.p.actor: is not supported by vendor entra');
    expect(failure({ vendor: 'google', actor })).toThrow('exchangeProfiles.p.actor: is not supported by vendor google');
    expect(
      failure({
        vendor: 'keycloak',
        issuer: 'https://kc.example.com/realms/r',
        clientId: 'w',
        clientSecretEnv: 'SECRET',
        actor,
      }),
    ).toThrow('exchangeProfiles.p.actor: is not supported by vendor keycloak');
  });

  it('an unknown vendor names the key', () => {
    expect(
      failure({ vendor: 'ping', issuer: 'https://idp.example.com', clientId: 'w', clientSecretEnv: 'SECRET' }),
    ).toThrow(/exchangeProfiles.p.vendor/);
  });
});

describe('trustedIssuers[].introspection', () => {
  it('reads the client secret from the named variable', () => {
    const read = () =>
      stringify({
        trustedIssuers: [
          { issuer: 'https://idp.example.com', introspection: { clientId: 'baton-api', clientSecretEnv: 'SECRET' } },
        ],
      });
    expect(loadConfig(ENV, read).tenants.default!.trustedIssuers[0]!.introspection).toEqual({
      endpoint: undefined,
      clientId: 'baton-api',
      clientSecret: 's3',
    });
    const missing = () =>
      stringify({
        trustedIssuers: [
          { issuer: 'https://idp.example.com', introspection: { clientId: 'baton-api', clientSecretEnv: 'NOPE' } },
        ],
      });
    expect(() => loadConfig(ENV, missing)).toThrow(
      'trustedIssuers.0.introspection.clientSecretEnv: environment variable NOPE is not set',
    );
  });
});
