import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import * as oidc from 'openid-client';
import { startDevAuthServer, type DevAuthServer } from '../tools/dev-auth-server/server.js';

/**
 * The dev authorization server, driven the way the product drives a real one: OIDC discovery and
 * RFC 8693 exchanges through openid-client, tokens verified through the published JWKS.
 */

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const CLIENT_ID = 'test-worker';
const CLIENT_SECRET = 'test-worker-secret';
const POST_CLIENT_ID = 'post-worker';
const POST_CLIENT_SECRET = 'post-worker-secret';
const JWT_CLIENT_ID = 'jwt-worker';
const AUDIENCE = 'https://x.example.com';

let server: DevAuthServer;
let jwtClientKey: CryptoKey;
let config: oidc.Configuration;
let jwks: ReturnType<typeof createRemoteJWKSet>;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  jwtClientKey = privateKey;
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'jwt-worker-1', alg: 'ES256' };
  server = await startDevAuthServer({
    port: 0,
    devMode: true,
    clients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      { clientId: POST_CLIENT_ID, clientSecret: POST_CLIENT_SECRET, tokenEndpointAuthMethod: 'client_secret_post' },
      { clientId: JWT_CLIENT_ID, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [publicJwk] } },
    ],
  });
  config = await discover(CLIENT_ID, oidc.ClientSecretBasic(CLIENT_SECRET));
  jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
});

afterAll(async () => {
  await server?.close();
});

function discover(clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function mintUserToken(sub: string, scope: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await admin('POST', '/admin/tokens', { sub, scope, ...extra });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

function exchange(subjectToken: string, params: Record<string, string> | URLSearchParams = {}, cfg = config) {
  const all = new URLSearchParams(params);
  all.set('subject_token', subjectToken);
  all.set('subject_token_type', ACCESS_TOKEN_TYPE);
  return oidc.genericGrantRequest(cfg, TOKEN_EXCHANGE, all);
}

async function verify(token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, jwks, { issuer: server.issuer, typ: 'at+jwt', requiredClaims: ['exp'] });
  return payload;
}

/** The OAuth error code of a failed openid-client call (4xx JSON error bodies). */
async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
  const err = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(oidc.ResponseBodyError);
  const { error, status } = err as oidc.ResponseBodyError;
  return { error, status };
}

describe('dev authorization server', () => {
  it('publishes discovery with the token endpoint, JWKS and the RFC 8693 grant', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    expect(server.issuer).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(metadata.token_endpoint).toBe(`${server.issuer}/token`);
    expect(metadata.jwks_uri).toBe(`${server.issuer}/jwks`);
    expect(metadata.revocation_endpoint).toBe(`${server.issuer}/token/revocation`);
    expect(metadata.introspection_endpoint).toBe(`${server.issuer}/token/introspection`);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining([TOKEN_EXCHANGE, 'client_credentials']));
  });

  it('mints user tokens signed by the published key', async () => {
    const res = await admin('POST', '/admin/tokens', { sub: 'alice', scope: ['a', 'b'], expiresIn: 120 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; jti: string };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120 });
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const payload = await verify(body.access_token);
    expect(payload).toMatchObject({
      sub: 'alice',
      aud: 'baton-api',
      scope: 'a b',
      client_id: 'dev-admin',
      jti: body.jti,
    });
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it('exchanges a user token for a narrower, audience-bound token', async () => {
    const userToken = await mintUserToken('alice', 'a b c');
    const response = await exchange(userToken, { scope: 'a', audience: AUDIENCE });

    expect(response.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
    expect(response.token_type.toLowerCase()).toBe('bearer');
    expect(response.expires_in).toBe(300);
    expect(response.scope).toBe('a');
    expect(decodeProtectedHeader(response.access_token).typ).toBe('at+jwt');
    const payload = await verify(response.access_token);
    expect(payload.iss).toBe(server.issuer);
    expect(payload.sub).toBe('alice');
    expect(payload.aud).toBe(AUDIENCE);
    expect(payload.scope).toBe('a');
    expect(payload.client_id).toBe(CLIENT_ID);
    expect(payload.act).toEqual({ sub: CLIENT_ID });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('keeps the subject scopes when none is requested and takes repeated audience/resource values', async () => {
    const userToken = await mintUserToken('alice', 'a b');
    const params = new URLSearchParams([
      ['audience', AUDIENCE],
      ['resource', 'https://r1.example.com/api'],
      ['resource', 'https://r2.example.com/api'],
    ]);
    const response = await exchange(userToken, params);
    expect(response.scope).toBe('a b');
    const payload = await verify(response.access_token);
    expect(payload.aud).toEqual([AUDIENCE, 'https://r1.example.com/api', 'https://r2.example.com/api']);
  });

  it('refuses to widen: a scope the subject lacks is invalid_scope', async () => {
    const userToken = await mintUserToken('alice', 'a b');
    expect(await oauthError(exchange(userToken, { scope: 'a z', audience: AUDIENCE }))).toEqual({
      error: 'invalid_scope',
      status: 400,
    });
  });

  it('revoking a subject revokes its existing tokens but not ones minted afterwards', async () => {
    const before = await mintUserToken('bob', 'a');
    await exchange(before, { scope: 'a', audience: AUDIENCE });

    const revoke = await admin('POST', '/admin/revoke', { sub: 'bob' });
    expect(revoke.status).toBe(204);
    expect(await oauthError(exchange(before, { scope: 'a', audience: AUDIENCE }))).toEqual({
      error: 'invalid_grant',
      status: 400,
    });

    // Same second as the revocation: must still work (the user signed in again).
    const after = await mintUserToken('bob', 'a');
    const response = await exchange(after, { scope: 'a', audience: AUDIENCE });
    expect((await verify(response.access_token)).sub).toBe('bob');
  });

  it('answers invalid_grant for an expired subject token', async () => {
    const expired = await mintUserToken('carol', 'a', { expiresIn: -10 });
    expect((await oauthError(exchange(expired, { scope: 'a' }))).error).toBe('invalid_grant');
  });

  it('answers invalid_grant for a token signed by another key, and for garbage', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ scope: 'a', client_id: 'dev-admin' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'forged' })
      .setIssuer(server.issuer)
      .setSubject('mallory')
      .setAudience('baton-api')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    expect((await oauthError(exchange(forged, { scope: 'a' }))).error).toBe('invalid_grant');
    expect((await oauthError(exchange('not-a-jwt', { scope: 'a' }))).error).toBe('invalid_grant');
  });

  it('validates the request parameters', async () => {
    const userToken = await mintUserToken('alice', 'a');
    const missingSubject = oidc.genericGrantRequest(config, TOKEN_EXCHANGE, { subject_token_type: ACCESS_TOKEN_TYPE });
    expect((await oauthError(missingSubject)).error).toBe('invalid_request');
    const badType = oidc.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: userToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:saml2',
    });
    expect((await oauthError(badType)).error).toBe('invalid_request');
    expect((await oauthError(exchange(userToken, { resource: 'not a uri' }))).error).toBe('invalid_target');
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const wrong = await discover(CLIENT_ID, oidc.ClientSecretBasic('wrong-secret'));
    const err = await exchange(await mintUserToken('alice', 'a'), { scope: 'a' }, wrong).then(
      () => undefined,
      (e: unknown) => e,
    );
    // oidc-provider adds a WWW-Authenticate challenge to a failed Basic authentication.
    expect(err).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    const challenge = err as oidc.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.parameters.error).toBe('invalid_client');
  });

  it('accepts client_secret_post', async () => {
    const post = await discover(POST_CLIENT_ID, oidc.ClientSecretPost(POST_CLIENT_SECRET));
    const response = await exchange(await mintUserToken('alice', 'a b'), { scope: 'b', audience: AUDIENCE }, post);
    const payload = await verify(response.access_token);
    expect(payload).toMatchObject({ scope: 'b', client_id: POST_CLIENT_ID, act: { sub: POST_CLIENT_ID } });

    const wrong = await discover(POST_CLIENT_ID, oidc.ClientSecretPost('wrong'));
    expect(await oauthError(exchange(await mintUserToken('alice', 'a'), {}, wrong))).toEqual({
      error: 'invalid_client',
      status: 401,
    });
  });

  it('accepts private_key_jwt', async () => {
    const jwtConfig = await discover(JWT_CLIENT_ID, oidc.PrivateKeyJwt({ key: jwtClientKey, kid: 'jwt-worker-1' }));
    const response = await exchange(await mintUserToken('alice', 'a'), { scope: 'a', audience: AUDIENCE }, jwtConfig);
    expect((await verify(response.access_token)).act).toEqual({ sub: JWT_CLIENT_ID });
  });

  it('issues client_credentials tokens that introspect as active until revoked', async () => {
    const response = await oidc.clientCredentialsGrant(config);
    expect(typeof response.access_token).toBe('string');
    expect(response.access_token.length).toBeGreaterThan(10);
    expect(response.token_type.toLowerCase()).toBe('bearer');

    expect(await oidc.tokenIntrospection(config, response.access_token)).toMatchObject({
      active: true,
      client_id: CLIENT_ID,
    });
    await oidc.tokenRevocation(config, response.access_token);
    expect((await oidc.tokenIntrospection(config, response.access_token)).active).toBe(false);
  });

  it('lets an exchanged token be exchanged again, nesting the delegation chain, and revokes it with its subject', async () => {
    const first = await exchange(await mintUserToken('erin', 'a b'), { scope: 'a b', audience: AUDIENCE });
    const post = await discover(POST_CLIENT_ID, oidc.ClientSecretPost(POST_CLIENT_SECRET));
    const second = await exchange(first.access_token, { scope: 'b', audience: 'https://y.example.com' }, post);
    expect(await verify(second.access_token)).toMatchObject({
      sub: 'erin',
      scope: 'b',
      act: { sub: POST_CLIENT_ID, act: { sub: CLIENT_ID } },
    });

    await admin('POST', '/admin/revoke', { sub: 'erin' });
    expect((await oauthError(exchange(first.access_token, { scope: 'a' }))).error).toBe('invalid_grant');
  });

  describe('fault injection', () => {
    it('answers the token endpoint with injected 503s, then recovers; stats count every request', async () => {
      const userToken = await mintUserToken('dave', 'a b');
      expect((await admin('POST', '/admin/stats/reset')).status).toBe(204);
      const set = await admin('POST', '/admin/faults', { tokenEndpoint: { status: 503, times: 2, retryAfter: 1 } });
      expect(set.status).toBe(200);

      for (let attempt = 0; attempt < 2; attempt++) {
        const err = await exchange(userToken, { scope: 'a', audience: AUDIENCE }).then(
          () => undefined,
          (e: unknown) => e,
        );
        // openid-client reports a 5xx as a non-conforming response, the Response in `cause`.
        expect(err).toBeInstanceOf(oidc.ClientError);
        const response = (err as oidc.ClientError).cause as Response;
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('1');
      }
      const response = await exchange(userToken, { scope: 'a', audience: AUDIENCE });
      expect(response.scope).toBe('a');

      const stats = (await (await admin('GET', '/admin/stats')).json()) as {
        tokenRequests: number;
        exchanges: Array<Record<string, unknown>>;
      };
      expect(stats.tokenRequests).toBe(3);
      expect(stats.exchanges).toHaveLength(1);
      expect(stats.exchanges[0]).toMatchObject({
        sub: 'dave',
        clientId: CLIENT_ID,
        scope: 'a',
        audience: [AUDIENCE],
        resource: [],
      });
      expect(JSON.stringify(stats)).not.toContain(response.access_token);
      expect(JSON.stringify(stats)).not.toContain(userToken);
    });

    it('widenScope makes exchanges grant an extra scope until cleared', async () => {
      const userToken = await mintUserToken('dave', 'a b');
      await admin('POST', '/admin/faults', { widenScope: 'admin:all' });
      const widened = await exchange(userToken, { scope: 'a', audience: AUDIENCE });
      expect(widened.scope).toBe('a admin:all');
      expect((await verify(widened.access_token)).scope).toBe('a admin:all');

      expect((await admin('DELETE', '/admin/faults')).status).toBe(204);
      const normal = await exchange(userToken, { scope: 'a', audience: AUDIENCE });
      expect(normal.scope).toBe('a');
    });
  });

  describe('admin surface input', () => {
    it('answers malformed JSON and bad fields with 400 JSON errors, unknown paths with 404', async () => {
      const malformed = await fetch(`${server.url}/admin/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"sub": ',
      });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ error: 'invalid_request' });

      const noSub = await admin('POST', '/admin/tokens', { scope: 'a' });
      expect(noSub.status).toBe(400);
      expect(((await noSub.json()) as { error_description: string }).error_description).toContain('sub');

      const badFault = await admin('POST', '/admin/faults', { tokenEndpoint: { status: 200, times: 1 } });
      expect(badFault.status).toBe(400);

      expect((await admin('GET', '/admin/nope')).status).toBe(404);
      // Still serving after the bad input.
      expect((await admin('GET', '/admin/stats')).status).toBe(200);
    });
  });

  it('refuses to start with a bad client definition, naming the client', async () => {
    await expect(startDevAuthServer({ port: 0, clients: [{ clientId: 'nosecret' }] })).rejects.toThrow(
      'client "nosecret": client_secret_basic needs a non-empty clientSecret',
    );
    const symmetric = { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' };
    await expect(
      startDevAuthServer({
        port: 0,
        clients: [{ clientId: 'bad-jwks', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [symmetric] } }],
      }),
    ).rejects.toThrow('client "bad-jwks"');
  });

  it('has no admin surface outside dev mode', async () => {
    const plain = await startDevAuthServer({ port: 0, devMode: false });
    try {
      expect((await fetch(`${plain.url}/admin/tokens`, { method: 'POST', body: '{}' })).status).toBe(404);
      expect((await fetch(`${plain.url}/admin/stats`)).status).toBe(404);
      expect((await fetch(`${plain.url}/.well-known/openid-configuration`)).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});
