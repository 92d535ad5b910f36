import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ExchangeProfile } from '@baton/platform';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExchangedTokenCache } from '../cache/exchanged-token-cache.js';
import { TokenExchangeError } from './token-exchange-error.js';
import { TokenExchanger, type ExchangeRequest } from './token-exchanger.js';

/**
 * TokenExchanger's own behaviour (configuration reuse and retry, caching, sharing of identical
 * requests, timeouts) against a scripted local authorization server. The real dev authorization
 * server is exercised in test/token-exchange.e2e-spec.ts.
 */

type Handler = (req: IncomingMessage, body: URLSearchParams, res: ServerResponse) => void;

let server: Server;
let issuer: string;
let discoveryAnswer: Handler;
let tokenAnswer: Handler;
let requests: {
  discovery: number;
  token: number;
  lastToken?: URLSearchParams;
  revoked: { token: string | null; hint: string | null; authorization?: string }[];
};
let revokeStatus: number;

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const metadata: Handler = (_req, _body, res) => json(res, 200, { issuer, token_endpoint: `${issuer}/token` });
const tokenOk =
  (extra: Record<string, unknown> = {}): Handler =>
  (_req, body, res) =>
    json(res, 200, {
      access_token: `opaque-${requests.token}`,
      token_type: 'Bearer',
      expires_in: 300,
      scope: body.get('scope'),
      ...extra,
    });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (req.url === '/.well-known/openid-configuration') {
        requests.discovery += 1;
        discoveryAnswer(req, body, res);
      } else if (req.url === '/token') {
        requests.token += 1;
        requests.lastToken = body;
        tokenAnswer(req, body, res);
      } else if (req.url === '/revoke') {
        requests.revoked.push({
          token: body.get('token'),
          hint: body.get('token_type_hint'),
          authorization: req.headers.authorization,
        });
        if (revokeStatus === 200) res.writeHead(200).end();
        else json(res, revokeStatus, { error: 'server_error' });
      } else json(res, 404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
});

beforeEach(() => {
  requests = { discovery: 0, token: 0, revoked: [] };
  revokeStatus = 200;
  discoveryAnswer = metadata;
  tokenAnswer = tokenOk();
});

const profile = (overrides: Partial<ExchangeProfile> = {}): ExchangeProfile => ({
  name: 'corp',
  issuer,
  clientId: 'baton-worker',
  clientAuth: 'client_secret_basic',
  clientSecret: 'worker-secret',
  privateKeyAlg: 'RS256',
  subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  extraParams: {},
  expirySkewSeconds: 30,
  ...overrides,
});
const request = (overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => ({
  profile: 'corp',
  subjectToken: 'subject-token-1',
  audience: 'https://expenses.example.com',
  scopes: ['expenses:read'],
  requiredScopes: ['expenses:read'],
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<TokenExchangeError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a TokenExchangeError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenExchangeError);
  return err as TokenExchangeError;
}

describe('TokenExchanger', () => {
  it('discovers once per profile and reuses the configuration', async () => {
    const exchanger = new TokenExchanger({ profiles: { corp: profile() } });
    await exchanger.exchange(request({ subjectToken: 'a' }));
    await exchanger.exchange(request({ subjectToken: 'b' }));
    expect(requests).toMatchObject({ discovery: 1, token: 2 });
  });

  it('forgets a failed discovery, so the next exchange tries again', async () => {
    discoveryAnswer = (_req, _body, res) => json(res, 503, { error: 'temporarily_unavailable' });
    const exchanger = new TokenExchanger({ profiles: { corp: profile() } });
    expect((await failure(exchanger.exchange(request()))).code).toBe('transient');
    discoveryAnswer = metadata;
    await expect(exchanger.exchange(request())).resolves.toMatchObject({ cached: false });
    expect(requests.discovery).toBe(2);
  });

  it('skips discovery when the profile names a token endpoint', async () => {
    const exchanger = new TokenExchanger({ profiles: { corp: profile({ tokenEndpoint: `${issuer}/token` }) } });
    await exchanger.exchange(request());
    expect(requests).toMatchObject({ discovery: 0, token: 1 });
  });

  it('serves from the cache until expirySkewSeconds before expiry', async () => {
    let now = new Date(Date.UTC(2026, 10, 2, 12, 0, 0));
    const exchanger = new TokenExchanger({ profiles: { corp: profile() }, now: () => now });
    const first = await exchanger.exchange(request());
    expect(first).toMatchObject({
      cached: false,
      scopes: ['expenses:read'],
      expiresAt: new Date(now.getTime() + 300_000),
    });
    expect(first.jti).toBeUndefined();

    now = new Date(now.getTime() + 269_000);
    await expect(exchanger.exchange(request())).resolves.toEqual({ ...first, cached: true });
    now = new Date(now.getTime() + 1_000);
    await expect(exchanger.exchange(request())).resolves.toMatchObject({ cached: false });
    expect(requests.token).toBe(2);
  });

  it('keys the cache on every part of the request and can share a cache', async () => {
    const cache = new ExchangedTokenCache();
    const exchanger = new TokenExchanger({ profiles: { corp: profile() }, cache });
    await exchanger.exchange(request());
    await exchanger.exchange(request({ audience: 'https://other.example.com' }));
    await exchanger.exchange(request({ scopes: ['expenses:read', 'expenses:notify'] }));
    await exchanger.exchange(request({ subjectToken: 'subject-token-2' }));
    expect(requests.token).toBe(4);
    expect(cache.size).toBe(4);
  });

  it('drops a token on invalidate', async () => {
    const exchanger = new TokenExchanger({ profiles: { corp: profile() } });
    await exchanger.exchange(request());
    expect(exchanger.invalidate(request())).toBe(true);
    expect(exchanger.invalidate(request())).toBe(false);
    await expect(exchanger.exchange(request())).resolves.toMatchObject({ cached: false });
    expect(requests.token).toBe(2);
  });

  it('lets identical exchanges in flight share one request', async () => {
    const exchanger = new TokenExchanger({ profiles: { corp: profile() } });
    const results = await Promise.all([
      exchanger.exchange(request()),
      exchanger.exchange(request()),
      exchanger.exchange(request()),
    ]);
    expect(requests.token).toBe(1);
    expect(results.map((r) => r.cached).sort()).toEqual([false, true, true]);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
  });

  it('assumes the requested scopes and 300 s when the answer says neither', async () => {
    tokenAnswer = (_req, _body, res) => json(res, 200, { access_token: 'opaque', token_type: 'Bearer' });
    const now = new Date(Date.UTC(2026, 10, 2, 12, 0, 0));
    const exchanger = new TokenExchanger({ profiles: { corp: profile() }, now: () => now });
    await expect(exchanger.exchange(request({ scopes: ['a', 'b'], requiredScopes: ['a'] }))).resolves.toEqual({
      accessToken: 'opaque',
      expiresAt: new Date(now.getTime() + 300_000),
      scopes: ['a', 'b'],
      cached: false,
    });
  });

  it('discards a widened token and caches nothing', async () => {
    tokenAnswer = (_req, body, res) =>
      json(res, 200, { access_token: 'widened-token', token_type: 'Bearer', scope: `${body.get('scope')} admin` });
    const cache = new ExchangedTokenCache();
    const exchanger = new TokenExchanger({ profiles: { corp: profile() }, cache });
    const error = await failure(exchanger.exchange(request()));
    expect(error).toMatchObject({ code: 'scope_escalation', widenedScopes: ['admin'] });
    expect(error.message).not.toContain('widened-token');
    expect(cache.size).toBe(0);
  });

  it('reports required scopes the server left out, and caches nothing', async () => {
    tokenAnswer = (_req, _body, res) =>
      json(res, 200, { access_token: 'narrow', token_type: 'Bearer', scope: 'expenses:notify' });
    const cache = new ExchangedTokenCache();
    const exchanger = new TokenExchanger({ profiles: { corp: profile() }, cache });
    const error = await failure(exchanger.exchange(request({ scopes: ['expenses:read', 'expenses:notify'] })));
    expect(error).toMatchObject({ code: 'insufficient_scope', missingScopes: ['expenses:read'] });
    expect(cache.size).toBe(0);
  });

  it("checks a cached token against each request's own required scopes", async () => {
    tokenAnswer = (_req, _body, res) => json(res, 200, { access_token: 'narrow', token_type: 'Bearer', scope: 'a' });
    const exchanger = new TokenExchanger({ profiles: { corp: profile() } });
    await expect(exchanger.exchange(request({ scopes: ['a', 'b'], requiredScopes: ['a'] }))).resolves.toMatchObject({
      scopes: ['a'],
    });
    const error = await failure(exchanger.exchange(request({ scopes: ['a', 'b'], requiredScopes: ['a', 'b'] })));
    expect(error).toMatchObject({ code: 'insufficient_scope', missingScopes: ['b'] });
    expect(requests.token).toBe(1);
  });

  it('sends the profile parameters and client authentication', async () => {
    const exchanger = new TokenExchanger({
      profiles: {
        corp: profile({
          clientAuth: 'client_secret_post',
          requestedTokenType: 'urn:ietf:params:oauth:token-type:jwt',
          extraParams: { tenant: 'acme' },
        }),
      },
    });
    await exchanger.exchange(request({ resource: 'https://expenses.example.com/api' }));
    expect(Object.fromEntries(requests.lastToken!)).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'subject-token-1',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      audience: 'https://expenses.example.com',
      resource: 'https://expenses.example.com/api',
      scope: 'expenses:read',
      tenant: 'acme',
      client_id: 'baton-worker',
      client_secret: 'worker-secret',
    });
  });

  it('gives up after httpTimeoutSeconds with a transient error', async () => {
    tokenAnswer = () => undefined; // never answers
    const exchanger = new TokenExchanger({ profiles: { corp: profile() }, httpTimeoutSeconds: 0.3 });
    const started = Date.now();
    const error = await failure(exchanger.exchange(request()));
    expect(error.code).toBe('transient');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses an unknown profile and unusable credentials as fatal', async () => {
    const exchanger = new TokenExchanger({
      profiles: {
        corp: profile(),
        broken: profile({ name: 'broken', clientAuth: 'private_key_jwt', privateKey: 'garbage' }),
      },
    });
    expect(await failure(exchanger.exchange(request({ profile: 'nope' })))).toMatchObject({
      code: 'fatal',
      profile: 'nope',
    });
    const broken = await failure(exchanger.exchange(request({ profile: 'broken' })));
    expect(broken).toMatchObject({ code: 'fatal', profile: 'broken' });
    expect(broken.message).not.toContain('garbage');
    expect(requests.discovery).toBe(0);
  });

  it('refuses a non-positive timeout', () => {
    expect(() => new TokenExchanger({ profiles: {}, httpTimeoutSeconds: 0 })).toThrow(RangeError);
  });
});

describe('TokenExchanger.probe (SPEC §12.2 preflight)', () => {
  const withRevocation: Handler = (_req, _body, res) =>
    json(res, 200, { issuer, token_endpoint: `${issuer}/token`, revocation_endpoint: `${issuer}/revoke` });

  it('exchanges without the cache, every time, and revokes each token with the client authentication', async () => {
    discoveryAnswer = withRevocation;
    const exchanger = new TokenExchanger({ profiles: { corp: profile() } });
    const first = await exchanger.probe(request());
    const second = await exchanger.probe(request());
    expect(requests.token).toBe(2);
    expect(first).toEqual({
      error: null,
      scopes: ['expenses:read'],
      expiresAt: expect.any(Date),
      release: { supported: true, revoked: true, status: 200 },
    });
    expect(second.release?.revoked).toBe(true);
    expect(requests.revoked.map((r) => [r.token, r.hint])).toEqual([
      ['opaque-1', 'access_token'],
      ['opaque-2', 'access_token'],
    ]);
    expect(requests.revoked[0]!.authorization).toMatch(/^Basic /);
    // Nothing was cached: a regular exchange goes to the server too.
    await exchanger.exchange(request());
    expect(requests.token).toBe(3);
    expect(JSON.stringify(first)).not.toContain('opaque');
  });

  it('revokes a token it refused for widening, and reports the failure without throwing', async () => {
    discoveryAnswer = withRevocation;
    tokenAnswer = tokenOk({ scope: 'expenses:read admin' });
    const probe = await new TokenExchanger({ profiles: { corp: profile() } }).probe(request());
    expect(probe.error).toBeInstanceOf(TokenExchangeError);
    expect(probe.error?.code).toBe('scope_escalation');
    expect(probe.release).toEqual({ supported: true, revoked: true, status: 200 });
    expect(requests.revoked).toHaveLength(1);
  });

  it('has nothing to release when no token was issued', async () => {
    discoveryAnswer = withRevocation;
    tokenAnswer = (_req, _body, res) => json(res, 400, { error: 'invalid_grant' });
    const probe = await new TokenExchanger({ profiles: { corp: profile() } }).probe(request());
    expect(probe.error?.code).toBe('revoked');
    expect(probe.release).toBeNull();
    expect(requests.revoked).toHaveLength(0);
  });

  it('without a revocation endpoint the token is only discarded; a refused revocation is reported', async () => {
    const exchanger = new TokenExchanger({ profiles: { corp: profile() } });
    expect((await exchanger.probe(request())).release).toEqual({ supported: false, revoked: false, status: null });
    discoveryAnswer = withRevocation;
    revokeStatus = 503;
    const refused = await new TokenExchanger({ profiles: { corp: profile() } }).probe(request());
    expect(refused.error).toBeNull();
    expect(refused.release).toEqual({ supported: true, revoked: false, status: 503 });
  });

  it('an unknown profile is a fatal failure, not a throw', async () => {
    const probe = await new TokenExchanger({ profiles: {} }).probe(request());
    expect(probe).toMatchObject({ error: { code: 'fatal' }, release: null });
  });
});
