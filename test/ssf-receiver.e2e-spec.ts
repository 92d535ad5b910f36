import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { RunStack } from './support/run-stack.js';
import { SESSION_REVOKED, SsfTestTransmitter, unsignedSet } from './support/ssf-transmitter.js';

const AUDIENCE = 'https://baton.test/ssf';
const PUSH_TOKEN = 'push-secret-for-tests';

/** SPEC §10.2 push receiving against the real api, Postgres and two loopback transmitters. */
describe('Shared Signals push receiver (SPEC §10.2)', () => {
  let stack: RunStack;
  let idp: SsfTestTransmitter; // bearer required, keys found through its SSF metadata
  let risc: SsfTestTransmitter; // no bearer, typ optional, its own audiences, jwksUri configured

  beforeAll(async () => {
    idp = await SsfTestTransmitter.start();
    risc = await SsfTestTransmitter.start();
    stack = await RunStack.start(
      {},
      {
        env: { SSF_PUSH_TOKEN: PUSH_TOKEN },
        extraFor: () => ({
          sharedSignals: {
            audience: AUDIENCE,
            transmitters: [
              { issuer: idp.issuer, authorizationEnv: 'SSF_PUSH_TOKEN' },
              {
                issuer: risc.issuer,
                jwksUri: `${risc.issuer}/jwks`,
                requireTyp: false,
                audience: ['risc-client-id', 'https://other.test/ssf'],
              },
            ],
          },
        }),
      },
    );
  });
  afterAll(async () => {
    await stack?.close();
    await idp?.close();
    await risc?.close();
  });

  async function push(set: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${stack.api.url}/v1/ssf/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt', authorization: `Bearer ${PUSH_TOKEN}`, ...headers },
      body: set,
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: text ? JSON.parse(text) : undefined,
      type: response.headers.get('content-type'),
    };
  }

  async function receivedCount(jti: string): Promise<number> {
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE operation = 'security_event.received' AND details->>'jti' = $1`,
      [jti],
    );
    return rows[0].n;
  }

  it('accepts a valid SET with 202 and an empty body, once per jti, keys from the SSF metadata', async () => {
    const jti = randomUUID();
    const set = await idp.set(AUDIENCE, 'alice', { claims: { jti } });
    const first = await push(set);
    expect(first).toMatchObject({ status: 202, text: '' });
    expect(await receivedCount(jti)).toBe(1);
    expect(await push(set)).toMatchObject({ status: 202, text: '' });
    expect(await receivedCount(jti)).toBe(1);
    const { rows } = await stack.db.query(
      `SELECT issuer, user_id, details FROM audit_entries WHERE operation = 'security_event.received' AND details->>'jti' = $1`,
      [jti],
    );
    expect(rows[0]).toMatchObject({ issuer: idp.issuer, user_id: 'alice', details: { eventType: SESSION_REVOKED } });
  });

  it.each<[string, () => Promise<string>, string]>([
    [
      'signed by a key the transmitter does not publish',
      () => idp.set(AUDIENCE, 'a', { foreignKey: true }),
      'invalid_key',
    ],
    ['an unknown kid', () => idp.set(AUDIENCE, 'a', { kid: 'nobody' }), 'invalid_key'],
    [
      'alg none',
      async () => unsignedSet({ alg: 'none', typ: 'secevent+jwt' }, await claimsOf(idp.set(AUDIENCE, 'a'))),
      'invalid_key',
    ],
    [
      'HS256',
      async () =>
        unsignedSet(
          { alg: 'HS256', typ: 'secevent+jwt', kid: 'k1' },
          await claimsOf(idp.set(AUDIENCE, 'a')),
          'c2lnbmF0dXJl',
        ),
      'invalid_key',
    ],
    ['a wrong typ', () => idp.set(AUDIENCE, 'a', { header: { typ: 'JWT' } }), 'invalid_request'],
    ['no typ where it is required', () => idp.set(AUDIENCE, 'a', { header: { typ: undefined } }), 'invalid_request'],
    ['a sub claim', () => idp.set(AUDIENCE, 'a', { claims: { sub: 'a' } }), 'invalid_request'],
    [
      'an exp claim',
      () => idp.set(AUDIENCE, 'a', { claims: { exp: Math.floor(Date.now() / 1000) + 600 } }),
      'invalid_request',
    ],
    ['no iat', () => idp.set(AUDIENCE, 'a', { claims: { iat: undefined } }), 'invalid_request'],
    [
      'iat 10 minutes ahead',
      () => idp.set(AUDIENCE, 'a', { claims: { iat: Math.floor(Date.now() / 1000) + 600 } }),
      'invalid_request',
    ],
    ['no jti', () => idp.set(AUDIENCE, 'a', { claims: { jti: undefined } }), 'invalid_request'],
    ['no events', () => idp.set(AUDIENCE, 'a', { claims: { events: undefined } }), 'invalid_request'],
    ['empty events', () => idp.set(AUDIENCE, 'a', { claims: { events: {} } }), 'invalid_request'],
    [
      'events that are not an object',
      () => idp.set(AUDIENCE, 'a', { claims: { events: [SESSION_REVOKED] } }),
      'invalid_request',
    ],
    ['an unknown issuer', () => idp.set(AUDIENCE, 'a', { claims: { iss: 'https://stranger.test' } }), 'invalid_issuer'],
    ['another audience', () => idp.set('https://elsewhere.test/ssf', 'a'), 'invalid_audience'],
    ['not a JWS at all', async () => 'hello, world', 'invalid_request'],
    ['a JWS whose payload is not JSON', async () => 'eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln', 'invalid_request'],
  ])('refuses %s with 400 %s', async (_, make, err) => {
    const set = await make();
    const jti = await claimsOf(Promise.resolve(set))
      .then((c) => c.jti as string | undefined)
      .catch(() => undefined);
    const answer = await push(set);
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ err, description: expect.any(String) });
    if (jti) expect(await receivedCount(jti)).toBe(0);
  });

  it('refuses a body that is not application/secevent+jwt', async () => {
    const answer = await push(await idp.set(AUDIENCE, 'a'), { 'content-type': 'text/plain' });
    expect(answer).toMatchObject({ status: 400, body: { err: 'invalid_request' } });
    const json = await push(JSON.stringify({ set: 'x' }), { 'content-type': 'application/json' });
    expect(json).toMatchObject({ status: 400, body: { err: 'invalid_request' } });
  });

  it("accepts the media type with parameters, and a JSON body on this path gets this path's answers", async () => {
    const withCharset = await push(await idp.set(AUDIENCE, 'a'), {
      'content-type': 'application/secevent+jwt; charset=utf-8',
    });
    expect(withCharset.status).toBe(202);
    const malformedJson = await push('{not json', { 'content-type': 'application/json' });
    expect(malformedJson).toMatchObject({ status: 400, body: { err: 'invalid_request' } });
    const bigJson = await push(JSON.stringify({ x: 'y'.repeat(70 * 1024) }), { 'content-type': 'application/json' });
    expect(bigJson.status).toBe(413);
    expect(bigJson.body).toMatchObject({ err: 'invalid_request' });
  });

  it('answers 413 beyond 64 KiB', async () => {
    const big = await idp.set(AUDIENCE, 'a', { claims: { padding: 'x'.repeat(70 * 1024) } });
    expect((await push(big)).status).toBe(413);
  });

  it('answers 401 authentication_failed without the bearer, or with a wrong one', async () => {
    const set = await idp.set(AUDIENCE, 'a');
    const jti = (await claimsOf(Promise.resolve(set))).jti as string;
    for (const authorization of ['', 'Bearer wrong', `Basic ${PUSH_TOKEN}`, `Bearer ${PUSH_TOKEN}x`]) {
      const answer = await push(set, { authorization });
      expect(answer).toMatchObject({ status: 401, body: { err: 'authentication_failed' } });
    }
    expect(await receivedCount(jti)).toBe(0);
  });

  it('refetches the keys on an unknown kid, so a rotated key verifies', async () => {
    await push(await idp.set(AUDIENCE, 'a')); // keys fetched once
    const before = idp.jwksFetches;
    await idp.rotate('k2');
    await new Promise((r) => setTimeout(r, 1100)); // past the refetch cooldown
    expect((await push(await idp.set(AUDIENCE, 'a', { kid: 'k2' }))).status).toBe(202);
    expect(idp.jwksFetches).toBeGreaterThan(before);
  });

  it('a transmitter with requireTyp false and its own audiences (no bearer configured)', async () => {
    const plain = { authorization: '' };
    expect((await push(await risc.set('risc-client-id', 'a', { header: { typ: undefined } }), plain)).status).toBe(202);
    expect((await push(await risc.set('https://other.test/ssf', 'a'), plain)).status).toBe(202);
    expect(await push(await risc.set(AUDIENCE, 'a'), plain)).toMatchObject({
      status: 400,
      body: { err: 'invalid_audience' },
    });
    expect(await push(await risc.set('risc-client-id', 'a', { header: { typ: 'JWT' } }), plain)).toMatchObject({
      status: 400,
      body: { err: 'invalid_request' },
    });
  });
});

async function claimsOf(set: Promise<string>): Promise<Record<string, unknown>> {
  return JSON.parse(Buffer.from((await set).split('.')[1]!, 'base64url').toString('utf8'));
}
