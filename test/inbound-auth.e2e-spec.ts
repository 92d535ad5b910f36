import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  SignJWT,
  createRemoteJWKSet,
  decodeJwt,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import { call, startApi, type RunningApi } from './support/api.js';
import { testConfig } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';

const WRITE = 'baton:workflows:write';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('inbound bearer tokens (SPEC §2)', () => {
  let auth: DevAuth;
  let untrusted: DevAuth;
  let api: RunningApi;
  let issuerJwk: JWK;

  beforeAll(async () => {
    auth = await DevAuth.start();
    untrusted = await DevAuth.start();
    api = await startApi(testConfig({ issuer: auth.issuer }));
    const jwks = (await (await fetch(`${auth.server.url}/jwks`)).json()) as { keys: JWK[] };
    issuerJwk = jwks.keys[0]!;
  });

  afterAll(async () => {
    await api?.close();
    await auth?.close();
    await untrusted?.close();
  });

  const listWorkflows = (token: string) => call(`${api.url}/v1/workflows`, { token });

  function expectInvalidToken(response: Awaited<ReturnType<typeof call>>): void {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(response.contentType).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  }

  it('accepts a valid token from the trusted issuer', async () => {
    const response = await listWorkflows(await auth.mintToken('alice', ['openid']));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: expect.any(Array), nextCursor: null });
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const response = await call(`${api.url}/v1/workflows`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="baton"');
  });

  it('refuses alg: none', async () => {
    const claims = decodeJwt(await auth.mintToken('alice', [WRITE]));
    expectInvalidToken(await listWorkflows(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`));
  });

  it('refuses HS256 signed with the issuer public key', async () => {
    const publicPem = await exportSPKI((await importJWK(issuerJwk, issuerJwk.alg, { extractable: true })) as CryptoKey);
    const token = await new SignJWT({ scope: WRITE, sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256', kid: issuerJwk.kid })
      .setIssuer(auth.issuer)
      .setAudience('baton-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(publicPem));
    expectInvalidToken(await listWorkflows(token));
  });

  it('refuses a wrong iss, even when signed by the trusted key', async () => {
    const token = await auth.mintTokenWithClaims('alice', [WRITE], { iss: 'http://127.0.0.1:1/not-trusted' });
    expectInvalidToken(await listWorkflows(token));
  });

  it('refuses a wrong aud', async () => {
    expectInvalidToken(await listWorkflows(await auth.mintTokenWithClaims('alice', [WRITE], { aud: 'someone-else' })));
  });

  it('refuses an expired token (beyond the 60 s leeway)', async () => {
    expectInvalidToken(await listWorkflows(await auth.mintToken('alice', [WRITE], -120)));
  });

  it('refuses a token whose nbf is in the future (beyond the leeway)', async () => {
    expectInvalidToken(await listWorkflows(await auth.mintTokenWithClaims('alice', [WRITE], { nbf: now() + 600 })));
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await auth.mintToken('alice', ['openid'])).split('.');
    const forged = { ...decodeJwt(await auth.mintToken('alice', ['openid'])), scope: `openid ${WRITE}` };
    expectInvalidToken(await listWorkflows(`${header}.${b64(forged)}.${signature}`));
  });

  it('refuses an unknown kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ scope: WRITE })
      .setProtectedHeader({ alg: 'ES256', kid: 'not-a-published-key' })
      .setIssuer(auth.issuer)
      .setSubject('alice')
      .setAudience('baton-api')
      .setExpirationTime('5m')
      .sign(privateKey);
    expectInvalidToken(await listWorkflows(token));
  });

  it('refuses a token from an untrusted issuer', async () => {
    expectInvalidToken(await listWorkflows(await untrusted.mintToken('alice', [WRITE])));
  });

  it('answers 403 insufficient_scope for a valid token without the write scope', async () => {
    const response = await call(`${api.url}/v1/workflows`, {
      token: await auth.mintToken('alice', ['openid']),
      body: { name: 'x' },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${WRITE}"`);
    expect(response.contentType).toContain('application/problem+json');
  });

  it('the issued tokens really are verifiable against the issuer JWKS (sanity of the fixture)', async () => {
    const jwks = createRemoteJWKSet(new URL(`${auth.server.url}/jwks`));
    const { jwtVerify } = await import('jose');
    const { payload } = await jwtVerify(await auth.mintToken('bob', ['a', 'b']), jwks, {
      issuer: auth.issuer,
      audience: 'baton-api',
    });
    expect(payload).toMatchObject({ sub: 'bob', scope: 'a b' });
  });
});

describe('an issuer whose keys cannot be fetched', () => {
  it('answers 503, not 401', async () => {
    const auth = await DevAuth.start();
    const token = await auth.mintToken('alice', ['openid']);
    const issuer = auth.issuer;
    await auth.close(); // the trusted issuer is now unreachable
    const api = await startApi(testConfig({ issuer }));
    try {
      const response = await call(`${api.url}/v1/workflows`, { token });
      expect(response.status).toBe(503);
      expect(response.contentType).toContain('application/problem+json');
    } finally {
      await api.close();
    }
  });
});
