import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExchangeProfile } from '@baton/platform';
import { createRemoteJWKSet, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, type JWTPayload } from 'jose';
import { createServer } from 'node:net';
import {
  TokenExchangeError,
  TokenExchanger,
  type ExchangeRequest,
  type TokenExchangeErrorCode,
} from '../libs/oauth/src/index.js';
import { DevAuth, TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './support/dev-auth.js';

/**
 * TokenExchanger against the real dev authorization server (oidc-provider, RFC 8693 grant):
 * discovery, the three client authentication methods, caching, and every failure class of
 * SPEC §4 step 3. Tokens are checked through the server's published JWKS.
 */

const AUDIENCE = 'https://expenses.example.com';
const USER_SCOPES = ['expenses:read', 'expenses:write', 'expenses:notify', 'profile'];
const POST_CLIENT = { id: 'post-worker', secret: 'post-worker-secret-0123456789' };
const PEM_CLIENT_ID = 'pem-jwt-worker';
const JWK_CLIENT_ID = 'jwk-jwt-worker';

let auth: DevAuth;
let jwks: ReturnType<typeof createRemoteJWKSet>;
let closedPortUrl: string;
let pemPrivateKey: string;
let jwkPrivateKey: string;

beforeAll(async () => {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  pemPrivateKey = await exportPKCS8(rsa.privateKey);
  jwkPrivateKey = JSON.stringify({ ...(await exportJWK(ec.privateKey)), kid: 'jwk-worker-1', alg: 'ES256' });
  auth = await DevAuth.start({
    clients: [
      { clientId: POST_CLIENT.id, clientSecret: POST_CLIENT.secret, tokenEndpointAuthMethod: 'client_secret_post' },
      {
        clientId: PEM_CLIENT_ID,
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'pem-worker-1', alg: 'RS256', use: 'sig' }] },
      },
      {
        clientId: JWK_CLIENT_ID,
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'jwk-worker-1', alg: 'ES256', use: 'sig' }] },
      },
    ],
  });
  jwks = createRemoteJWKSet(new URL(`${auth.server.url}/jwks`));
  closedPortUrl = `http://127.0.0.1:${await closedPort()}`;
});

afterAll(async () => {
  await auth?.close();
});

afterEach(async () => {
  await auth.clearFaults();
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function profile(overrides: Partial<ExchangeProfile> = {}): ExchangeProfile {
  return {
    name: 'corp',
    issuer: auth.issuer,
    clientId: TEST_CLIENT_ID,
    clientAuth: 'client_secret_basic',
    clientSecret: TEST_CLIENT_SECRET,
    privateKeyAlg: 'RS256',
    subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    extraParams: {},
    expirySkewSeconds: 30,
    ...overrides,
  };
}

function exchangerFor(p: ExchangeProfile = profile()): TokenExchanger {
  return new TokenExchanger({ profiles: { [p.name]: p }, httpTimeoutSeconds: 5 });
}

let userCount = 0;
/** A fresh user with a fresh subject token, so tests never share cache entries or revocations. */
async function newSubject(scopes = USER_SCOPES): Promise<{ sub: string; token: string }> {
  const sub = `user-${++userCount}-${Date.now()}`;
  return { sub, token: await auth.mintToken(sub, scopes) };
}

function request(subjectToken: string, overrides: Partial<ExchangeRequest> = {}): ExchangeRequest {
  return {
    profile: 'corp',
    subjectToken,
    audience: AUDIENCE,
    scopes: ['expenses:read'],
    requiredScopes: ['expenses:read'],
    ...overrides,
  };
}

async function verify(token: string, audience = AUDIENCE): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, jwks, {
    issuer: auth.issuer,
    audience,
    typ: 'at+jwt',
    requiredClaims: ['exp', 'jti'],
  });
  return payload;
}

/** The TokenExchangeError a call fails with; its message and string form never hold a secret. */
async function exchangeError(
  promise: Promise<unknown>,
  code: TokenExchangeErrorCode,
  secrets: string[],
): Promise<TokenExchangeError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected the exchange to fail with ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenExchangeError);
  const error = err as TokenExchangeError;
  expect(error.code).toBe(code);
  for (const secret of [...secrets, TEST_CLIENT_SECRET, POST_CLIENT.secret]) {
    expect(error.message).not.toContain(secret);
    expect(String(error)).not.toContain(secret);
    expect(error.stack ?? '').not.toContain(secret);
  }
  return error;
}

describe('TokenExchanger against the dev authorization server', () => {
  it('returns an audience-bound token with exactly the requested scopes, acting as the client', async () => {
    const { sub, token } = await newSubject();
    const before = Date.now();
    const result = await exchangerFor().exchange(
      request(token, { scopes: ['expenses:read', 'expenses:notify'], requiredScopes: ['expenses:read'] }),
    );

    expect(result.cached).toBe(false);
    expect(result.scopes.sort()).toEqual(['expenses:notify', 'expenses:read']);
    const payload = await verify(result.accessToken);
    expect(payload.aud).toBe(AUDIENCE);
    expect((payload.scope as string).split(' ').sort()).toEqual(['expenses:notify', 'expenses:read']);
    expect(payload.sub).toBe(sub);
    expect(payload.act).toEqual({ sub: TEST_CLIENT_ID });
    expect(result.jti).toBe(payload.jti);
    // expiresAt comes from expires_in on our clock; the token's exp from the server's: same instant, give or take a second.
    expect(Math.abs(result.expiresAt.getTime() - payload.exp! * 1000)).toBeLessThan(2000);
    expect(result.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 299_000);
    expect(result.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 301_000);
  });

  it('binds the token to a resource as well', async () => {
    const { token } = await newSubject();
    const resource = 'https://expenses.example.com/api';
    const result = await exchangerFor().exchange(request(token, { resource }));
    const payload = await verify(result.accessToken, resource);
    expect(payload.aud).toEqual(expect.arrayContaining([AUDIENCE, resource]));
  });

  it('serves an identical exchange from the cache without asking the server, until invalidated', async () => {
    const { token } = await newSubject();
    const exchanger = exchangerFor();
    const first = await exchanger.exchange(request(token));

    await auth.resetStats();
    const second = await exchanger.exchange(request(token));
    expect(second).toEqual({ ...first, cached: true });
    expect((await auth.stats()).tokenRequests).toBe(0);

    // A different scope set is a different token.
    const wider = await exchanger.exchange(request(token, { scopes: ['expenses:read', 'expenses:write'] }));
    expect(wider.cached).toBe(false);
    expect((await auth.stats()).tokenRequests).toBe(1);

    await auth.resetStats();
    exchanger.invalidate(request(token));
    const third = await exchanger.exchange(request(token));
    expect(third.cached).toBe(false);
    expect(third.jti).not.toBe(first.jti);
    expect((await auth.stats()).tokenRequests).toBe(1);
  });

  it.each([
    [
      'client_secret_post',
      () => profile({ clientId: POST_CLIENT.id, clientAuth: 'client_secret_post', clientSecret: POST_CLIENT.secret }),
    ],
    [
      'private_key_jwt with a PEM key',
      () =>
        profile({
          clientId: PEM_CLIENT_ID,
          clientAuth: 'private_key_jwt',
          clientSecret: undefined,
          privateKey: pemPrivateKey,
          privateKeyAlg: 'RS256',
        }),
    ],
    [
      'private_key_jwt with a JWK',
      () =>
        profile({
          clientId: JWK_CLIENT_ID,
          clientAuth: 'private_key_jwt',
          clientSecret: undefined,
          privateKey: jwkPrivateKey,
          privateKeyAlg: 'ES256',
        }),
    ],
  ])('authenticates with %s', async (_method, makeProfile) => {
    const p = makeProfile();
    const { sub, token } = await newSubject();
    const result = await exchangerFor(p).exchange(request(token));
    const payload = await verify(result.accessToken);
    expect(payload).toMatchObject({
      sub,
      aud: AUDIENCE,
      scope: 'expenses:read',
      act: { sub: p.clientId },
      client_id: p.clientId,
    });
  });

  it('uses a configured token endpoint without discovery', async () => {
    // The issuer points at nothing: only the tokenEndpoint override can make this work.
    const p = profile({ issuer: closedPortUrl, tokenEndpoint: `${auth.server.url}/token` });
    const { token } = await newSubject();
    await auth.resetStats();
    const result = await exchangerFor(p).exchange(request(token));
    expect((await verify(result.accessToken)).scope).toBe('expenses:read');
    expect((await auth.stats()).tokenRequests).toBe(1);
  });

  it('reports a revoked subject token as revoked (invalid_grant)', async () => {
    const { sub, token } = await newSubject();
    await auth.revoke(sub);
    const error = await exchangeError(exchangerFor().exchange(request(token)), 'revoked', [token]);
    expect(error).toMatchObject({ oauthError: 'invalid_grant', status: 400, profile: 'corp' });
  });

  it('reports a scope the user does not hold as consent_required (invalid_scope)', async () => {
    const { token } = await newSubject(['expenses:read']);
    const error = await exchangeError(
      exchangerFor().exchange(request(token, { scopes: ['expenses:write'], requiredScopes: ['expenses:write'] })),
      'consent_required',
      [token],
    );
    expect(error.oauthError).toBe('invalid_scope');
  });

  it('discards a token whose scope the server widened, and caches nothing', async () => {
    const { token } = await newSubject();
    const exchanger = exchangerFor();
    await auth.setFaults({ widenScope: 'admin:all' });
    const error = await exchangeError(exchanger.exchange(request(token)), 'scope_escalation', [token]);
    expect(error.widenedScopes).toEqual(['admin:all']);
    expect(error.message).not.toMatch(/eyJ/);

    await auth.clearFaults();
    await auth.resetStats();
    const next = await exchanger.exchange(request(token));
    expect(next.cached).toBe(false);
    expect((await auth.stats()).tokenRequests).toBe(1);
    expect((await verify(next.accessToken)).scope).toBe('expenses:read');
  });

  it('reports a 503 as transient with Retry-After, and a 429 as transient', async () => {
    const { token } = await newSubject();
    const exchanger = exchangerFor();
    await auth.setFaults({ tokenEndpoint: { status: 503, times: 1, retryAfter: 7 } });
    const unavailable = await exchangeError(exchanger.exchange(request(token)), 'transient', [token]);
    expect(unavailable).toMatchObject({ status: 503, retryAfterMs: 7000 });
    expect(unavailable.retryable).toBe(true);

    await auth.setFaults({ tokenEndpoint: { status: 429, times: 1 } });
    const limited = await exchangeError(exchanger.exchange(request(token)), 'transient', [token]);
    expect(limited.status).toBe(429);
    expect(limited.retryAfterMs).toBeUndefined();

    // The fault is spent: the same exchanger now succeeds.
    await expect(exchanger.exchange(request(token))).resolves.toMatchObject({ cached: false });
  });

  it('reports an unreachable authorization server as transient', async () => {
    const { token } = await newSubject();
    const down = await exchangeError(
      exchangerFor(profile({ issuer: closedPortUrl })).exchange(request(token)),
      'transient',
      [token],
    );
    expect(down.message).toContain('authorization server metadata unavailable');
    await exchangeError(
      exchangerFor(profile({ tokenEndpoint: `${closedPortUrl}/token` })).exchange(request(token)),
      'transient',
      [token],
    );
  });

  it('reports a wrong client secret as fatal', async () => {
    const wrongSecret = 'wrong-secret-9f8e7d6c5b4a';
    const { token } = await newSubject();
    const error = await exchangeError(
      exchangerFor(profile({ clientSecret: wrongSecret })).exchange(request(token)),
      'fatal',
      [token, wrongSecret],
    );
    expect(error.oauthError).toBe('invalid_client');
    expect(error.retryable).toBe(false);
  });

  it('reports a client_secret_post client with a wrong secret as fatal too', async () => {
    const wrongSecret = 'wrong-post-secret-1a2b3c4d';
    const { token } = await newSubject();
    const error = await exchangeError(
      exchangerFor(
        profile({ clientId: POST_CLIENT.id, clientAuth: 'client_secret_post', clientSecret: wrongSecret }),
      ).exchange(request(token)),
      'fatal',
      [token, wrongSecret],
    );
    expect(error.oauthError).toBe('invalid_client');
  });
});
