import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InboundTokenError } from './inbound-token-error.js';
import { looksLikeJwt, TokenIntrospector } from './token-introspector.js';

/** TokenIntrospector against a real RFC 7662 endpoint on loopback, with an injected clock for the cache. */

let server: Server;
let endpoint: string;
const answers = new Map<string, Record<string, unknown>>();
const calls: string[] = [];
let down = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      calls.push(token);
      // RFC 6749 §2.3.1: each half is form-urlencoded before base64.
      const basic = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString(
        'utf8',
      );
      const ok =
        basic
          .split(':')
          .map((v) => decodeURIComponent(v))
          .join(':') === 'baton-api:s3cret';
      res.writeHead(down ? 503 : ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          down
            ? { error: 'temporarily_unavailable' }
            : ok
              ? (answers.get(token) ?? { active: false })
              : { error: 'invalid_client' },
        ),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const ISSUER = 'https://idp.example.com';
function introspector(now: () => number, secret = 's3cret') {
  return new TokenIntrospector({
    issuers: [{ issuer: ISSUER, introspection: { endpoint, clientId: 'baton-api', clientSecret: secret } }],
    audience: 'baton-api',
    httpTimeoutMs: 2000,
    now,
  });
}

describe('TokenIntrospector (SPEC §9.2)', () => {
  it('reads identity, scopes and expiry from an active answer', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    answers.set('t-alice', { active: true, iss: ISSUER, sub: 'alice', scope: 'a b', exp, roles: ['admin'] });
    const principal = await introspector(Date.now).introspect('t-alice');
    expect(principal).toMatchObject({
      issuer: ISSUER,
      subject: 'alice',
      scopes: ['a', 'b'],
      expiresAt: new Date(exp * 1000),
    });
  });

  it('caches at most 60 s', async () => {
    let clock = Date.now();
    answers.set('t-60', { active: true, sub: 'bob', exp: Math.floor(clock / 1000) + 3600 });
    const subject = introspector(() => clock);
    await subject.introspect('t-60');
    clock += 59_000;
    await subject.introspect('t-60');
    expect(calls.filter((c) => c === 't-60')).toHaveLength(1);
    clock += 2_000;
    await subject.introspect('t-60');
    expect(calls.filter((c) => c === 't-60')).toHaveLength(2);
  });

  it('never caches past exp', async () => {
    let clock = Date.now();
    answers.set('t-exp', { active: true, sub: 'carl', exp: Math.floor(clock / 1000) + 10 });
    const subject = introspector(() => clock);
    await subject.introspect('t-exp');
    clock += 11_000;
    await expect(subject.introspect('t-exp')).rejects.toMatchObject({ code: 'invalid_token' });
    expect(calls.filter((c) => c === 't-exp')).toHaveLength(2);
  });

  it('refuses inactive answers, another issuer, another audience, and answers without sub or exp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    answers.set('t-iss', { active: true, iss: 'https://evil.example.com', sub: 'x', exp });
    answers.set('t-aud', { active: true, sub: 'x', exp, aud: 'other-api' });
    answers.set('t-nosub', { active: true, exp });
    answers.set('t-noexp', { active: true, sub: 'x' });
    for (const token of ['t-inactive', 't-iss', 't-aud', 't-nosub', 't-noexp']) {
      await expect(introspector(Date.now).introspect(token)).rejects.toMatchObject({ code: 'invalid_token' });
    }
  });

  it('an endpoint that fails or refuses the client → issuer_unavailable (503), not invalid_token', async () => {
    down = true;
    try {
      await expect(introspector(Date.now).introspect('t-alice')).rejects.toMatchObject({ code: 'issuer_unavailable' });
    } finally {
      down = false;
    }
    const error = await introspector(Date.now, 'wrong')
      .introspect('t-alice')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InboundTokenError);
    expect((error as InboundTokenError).code).toBe('issuer_unavailable');
  });

  it('tells JWTs from opaque tokens', () => {
    expect(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln')).toBe(true);
    expect(looksLikeJwt('ya29.a0AfB_byC')).toBe(false);
    expect(looksLikeJwt('opaque-abc')).toBe(false);
  });
});
