import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { base64url, exportSPKI, importJWK, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import { InboundTokenError, type InboundTokenErrorCode } from './inbound-token-error.js';
import { InboundTokenVerifier, type InboundTokenVerifierOptions } from './inbound-token-verifier.js';
import { generateSigningKey, LocalIssuer, type TestSigningKey } from './testing/local-issuer.js';

const AUDIENCE = 'baton-api';
const DISCOVERY = '/.well-known/openid-configuration';
const now = (): number => Math.floor(Date.now() / 1000);

async function rejectionOf(promise: Promise<unknown>, code: InboundTokenErrorCode): Promise<InboundTokenError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(InboundTokenError);
    expect((err as InboundTokenError).code).toBe(code);
    return err as InboundTokenError;
  }
  throw new Error(`expected the token to be refused with ${code}`);
}

describe('InboundTokenVerifier', () => {
  let key: TestSigningKey;
  const started: LocalIssuer[] = [];

  async function startIssuer(keys: TestSigningKey[] = [key]): Promise<LocalIssuer> {
    const issuer = await LocalIssuer.start(keys);
    started.push(issuer);
    return issuer;
  }

  function verifierFor(
    issuers: Array<LocalIssuer | { issuer: string; jwksUri?: string; requireTyp?: boolean }>,
    options: Partial<InboundTokenVerifierOptions> = {},
  ): InboundTokenVerifier {
    return new InboundTokenVerifier({
      audience: AUDIENCE,
      trustedIssuers: issuers.map((issuer) => (issuer instanceof LocalIssuer ? { issuer: issuer.issuer } : issuer)),
      jwksCooldownMs: 0,
      ...options,
    });
  }

  beforeAll(async () => {
    key = await generateSigningKey('RS256', 'key-1');
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((issuer) => issuer.close()));
  });

  describe('accepts', () => {
    it('a valid token found through discovery, caching discovery and keys per issuer', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer]);
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE, scope: 'expenses:read  expenses:write' });

      const principal = await verifier.verify(token);
      await verifier.verify(token);

      expect(principal).toMatchObject({
        issuer: issuer.issuer,
        subject: 'alice',
        scopes: ['expenses:read', 'expenses:write'],
      });
      expect(principal.expiresAt.getTime()).toBe((principal.claims.exp as number) * 1000);
      expect(issuer.requestCount(DISCOVERY)).toBe(1);
      expect(issuer.requestCount('/jwks')).toBe(1);
    });

    it('scopes from `scp` as an array or a string, and none when absent', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer]);
      const sign = (claims: Record<string, unknown>) => issuer.sign(key, { sub: 'alice', aud: AUDIENCE, ...claims });

      expect((await verifier.verify(await sign({ scp: ['a', 'b'] }))).scopes).toEqual(['a', 'b']);
      expect((await verifier.verify(await sign({ scp: 'a b' }))).scopes).toEqual(['a', 'b']);
      expect((await verifier.verify(await sign({}))).scopes).toEqual([]);
    });

    it('an audience array that contains the API audience', async () => {
      const issuer = await startIssuer();
      const token = await issuer.sign(key, { sub: 'alice', aud: ['other', AUDIENCE] });
      await expect(verifierFor([issuer]).verify(token)).resolves.toMatchObject({ subject: 'alice' });
    });

    it('keys from a configured jwksUri without asking for discovery', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }]);
      await verifier.verify(await issuer.sign(key, { sub: 'alice', aud: AUDIENCE }));
      expect(issuer.requestCount(DISCOVERY)).toBe(0);
      expect(issuer.requestCount('/jwks')).toBe(1);
    });

    it.each(['ES256', 'PS256', 'EdDSA', 'RS512'])('a token signed with %s', async (alg) => {
      const algKey = await generateSigningKey(alg, `key-${alg}`);
      const issuer = await startIssuer([algKey]);
      const token = await issuer.sign(algKey, { sub: 'alice', aud: AUDIENCE });
      await expect(verifierFor([issuer]).verify(token)).resolves.toMatchObject({ subject: 'alice' });
    });

    it('a token without kid when several published keys could match, by trying each', async () => {
      const other = await generateSigningKey('RS256', 'key-0');
      const issuer = await startIssuer([other, key]);
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE }, { kid: undefined });
      await expect(verifierFor([issuer]).verify(token)).resolves.toMatchObject({ subject: 'alice' });

      const stranger = await generateSigningKey('RS256', 'key-x');
      const forged = await issuer.sign(stranger, { sub: 'alice', aud: AUDIENCE }, { kid: undefined });
      await rejectionOf(verifierFor([issuer]).verify(forged), 'invalid_token');
    });

    it('expiry and not-before within the 60 s clock tolerance, but not beyond it', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer]);
      const sign = (claims: Record<string, unknown>) => issuer.sign(key, { sub: 'alice', aud: AUDIENCE, ...claims });

      await expect(verifier.verify(await sign({ exp: now() - 30 }))).resolves.toBeDefined();
      await expect(verifier.verify(await sign({ nbf: now() + 30 }))).resolves.toBeDefined();
      expect((await rejectionOf(verifier.verify(await sign({ exp: now() - 90 })), 'invalid_token')).message).toBe(
        'token has expired',
      );
      expect((await rejectionOf(verifier.verify(await sign({ nbf: now() + 90 })), 'invalid_token')).message).toBe(
        'token is not valid yet',
      );
    });
  });

  describe('refuses with invalid_token', () => {
    let issuer: LocalIssuer;
    let verifier: InboundTokenVerifier;
    const valid = () => issuer.sign(key, { sub: 'alice', aud: AUDIENCE, scope: 'read' });

    beforeAll(async () => {
      issuer = await LocalIssuer.start([key]);
      verifier = verifierFor([issuer]);
    });
    afterAll(() => issuer.close());

    it('alg none, without contacting the issuer', async () => {
      const unsecured = new UnsecuredJWT({
        iss: issuer.issuer,
        sub: 'alice',
        aud: AUDIENCE,
        exp: now() + 300,
      }).encode();
      const fresh = verifierFor([issuer]);
      const before = issuer.requestCount(DISCOVERY);
      const err = await rejectionOf(fresh.verify(unsecured), 'invalid_token');
      expect(err.message).toBe('token signing algorithm is not allowed');
      expect(issuer.requestCount(DISCOVERY)).toBe(before);
    });

    it('HS256 signed with the issuer public key as the HMAC secret', async () => {
      const publicKey = (await importJWK(key.publicJwk, 'RS256')) as CryptoKey;
      const pem = await exportSPKI(publicKey);
      for (const secret of [pem, JSON.stringify(key.publicJwk)]) {
        const forged = await new SignJWT({ iss: issuer.issuer, sub: 'alice', aud: AUDIENCE, exp: now() + 300 })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .sign(new TextEncoder().encode(secret));
        await rejectionOf(verifier.verify(forged), 'invalid_token');
      }
    });

    it('a tampered payload', async () => {
      const [header, payload, signature] = (await valid()).split('.');
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
      const widened = base64url.encode(JSON.stringify({ ...claims, scope: 'read admin' }));
      const err = await rejectionOf(verifier.verify(`${header}.${widened}.${signature}`), 'invalid_token');
      expect(err.message).toBe('token signature is invalid');
    });

    it('an unknown kid, after refetching the key set', async () => {
      const stranger = await generateSigningKey('RS256', 'key-unknown');
      const before = issuer.requestCount('/jwks');
      const err = await rejectionOf(
        verifier.verify(await issuer.sign(stranger, { sub: 'alice', aud: AUDIENCE })),
        'invalid_token',
      );
      expect(err.message).toBe('token is signed with a key its issuer does not publish');
      expect(issuer.requestCount('/jwks')).toBeGreaterThan(before);
    });

    it('a token from an untrusted issuer, without any HTTP call', async () => {
      const untrusted = await issuer.sign(key, { iss: 'http://127.0.0.1:1/evil', sub: 'alice', aud: AUDIENCE });
      const fresh = verifierFor([issuer]);
      const before = [issuer.requestCount(DISCOVERY), issuer.requestCount('/jwks')];
      const err = await rejectionOf(fresh.verify(untrusted), 'invalid_token');
      expect(err.message).toBe('token issuer is not trusted');
      expect([issuer.requestCount(DISCOVERY), issuer.requestCount('/jwks')]).toEqual(before);
    });

    it('an issuer that is trusted only in another spelling (exact match)', async () => {
      const trailingSlash = await issuer.sign(key, { iss: `${issuer.issuer}/`, sub: 'alice', aud: AUDIENCE });
      await rejectionOf(verifier.verify(trailingSlash), 'invalid_token');
    });

    it('a token naming one trusted issuer but signed by another trusted issuer', async () => {
      const otherKey = await generateSigningKey('RS256', key.kid);
      const other = await startIssuer([otherKey]);
      const both = verifierFor([issuer, other]);
      const forged = await other.sign(otherKey, { iss: issuer.issuer, sub: 'alice', aud: AUDIENCE });
      await rejectionOf(both.verify(forged), 'invalid_token');
    });

    it('a wrong audience', async () => {
      const err = await rejectionOf(
        verifier.verify(await issuer.sign(key, { sub: 'alice', aud: 'another-api' })),
        'invalid_token',
      );
      expect(err.message).toBe('token audience is not accepted');
      await rejectionOf(verifier.verify(await issuer.sign(key, { sub: 'alice' })), 'invalid_token');
    });

    it('a missing exp or sub', async () => {
      const noExp = await new SignJWT({ iss: issuer.issuer, sub: 'alice', aud: AUDIENCE })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .sign(key.privateKey);
      expect((await rejectionOf(verifier.verify(noExp), 'invalid_token')).message).toBe(
        'token lacks the required "exp" claim',
      );
      const noSub = await issuer.sign(key, { aud: AUDIENCE });
      expect((await rejectionOf(verifier.verify(noSub), 'invalid_token')).message).toBe(
        'token lacks the required "sub" claim',
      );
      await rejectionOf(verifier.verify(await issuer.sign(key, { aud: AUDIENCE, sub: '' })), 'invalid_token');
    });

    it('something that is not a JWT', async () => {
      for (const notJwt of ['', 'opaque-access-token', 'a.b.c', 'a.b.c.d.e', `${base64url.encode('{}')}..`]) {
        const err = await rejectionOf(verifier.verify(notJwt), 'invalid_token');
        expect(err.message).toBe('token is not a well-formed JWT');
      }
    });

    it('with messages that never contain the token', async () => {
      const tokens = [
        await issuer.sign(key, { sub: 'alice', aud: 'another-api' }),
        await issuer.sign(key, { sub: 'alice', aud: AUDIENCE, exp: now() - 3600 }),
        'opaque-secret-token',
      ];
      for (const token of tokens) {
        const err = await rejectionOf(verifier.verify(token), 'invalid_token');
        expect(err.message).not.toContain(token);
        expect(err.message).not.toContain(token.split('.')[1] ?? token);
      }
    });
  });

  describe('key rotation', () => {
    it('verifies a token with a new kid after the issuer rotates its keys', async () => {
      const issuer = await startIssuer([key]);
      const verifier = verifierFor([issuer]);
      await verifier.verify(await issuer.sign(key, { sub: 'alice', aud: AUDIENCE }));

      const rotated = await generateSigningKey('ES256', 'key-2');
      issuer.publishedKeys = [rotated];
      await expect(verifier.verify(await issuer.sign(rotated, { sub: 'alice', aud: AUDIENCE }))).resolves.toMatchObject(
        {
          subject: 'alice',
        },
      );
      expect(issuer.requestCount('/jwks')).toBe(2);
      // The old key is gone from the refreshed set.
      await rejectionOf(verifier.verify(await issuer.sign(key, { sub: 'alice', aud: AUDIENCE })), 'invalid_token');
    });

    it('does not refetch on an unknown kid while the cooldown lasts', async () => {
      const issuer = await startIssuer([key]);
      const verifier = verifierFor([issuer], { jwksCooldownMs: 60_000 });
      await verifier.verify(await issuer.sign(key, { sub: 'alice', aud: AUDIENCE }));

      const rotated = await generateSigningKey('RS256', 'key-2');
      issuer.publishedKeys = [key, rotated];
      await rejectionOf(verifier.verify(await issuer.sign(rotated, { sub: 'alice', aud: AUDIENCE })), 'invalid_token');
      expect(issuer.requestCount('/jwks')).toBe(1);
    });
  });

  describe('refuses with issuer_unavailable', () => {
    it('when the issuer is down (discovery and configured jwksUri)', async () => {
      const issuer = await LocalIssuer.start([key]);
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE });
      await issuer.close();

      await rejectionOf(verifierFor([issuer]).verify(token), 'issuer_unavailable');
      const err = await rejectionOf(
        verifierFor([{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }]).verify(token),
        'issuer_unavailable',
      );
      expect(err.message).toBe(`token issuer ${issuer.issuer} is unavailable: its keys could not be fetched`);
    });

    it.each([
      ['answers 500', 'server_error'],
      ['answers HTML', 'not_json'],
    ] as const)('when the issuer %s', async (_, behaviour) => {
      const issuer = await startIssuer();
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE });
      issuer.behaviour = behaviour;

      await rejectionOf(verifierFor([issuer]).verify(token), 'issuer_unavailable');
      await rejectionOf(
        verifierFor([{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }]).verify(token),
        'issuer_unavailable',
      );
      expect(issuer.requestCount(DISCOVERY)).toBe(1);
      expect(issuer.requestCount('/jwks')).toBe(1);
    });

    it('when the issuer does not answer within httpTimeoutMs', async () => {
      const issuer = await startIssuer();
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE });
      issuer.behaviour = 'hang';
      const started = Date.now();

      await rejectionOf(verifierFor([issuer], { httpTimeoutMs: 300 }).verify(token), 'issuer_unavailable');
      await rejectionOf(
        verifierFor([{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }], { httpTimeoutMs: 300 }).verify(token),
        'issuer_unavailable',
      );
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('when the key set cannot be refetched for an unknown kid', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer]);
      await verifier.verify(await issuer.sign(key, { sub: 'alice', aud: AUDIENCE }));
      const rotated = await generateSigningKey('RS256', 'key-2');
      issuer.behaviour = 'server_error';
      await rejectionOf(
        verifier.verify(await issuer.sign(rotated, { sub: 'alice', aud: AUDIENCE })),
        'issuer_unavailable',
      );
    });

    it('and retries discovery once the backoff has passed after the issuer recovers', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer], { issuerBackoff: { initialMs: 50, maxMs: 50 } });
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE });
      issuer.behaviour = 'server_error';
      await rejectionOf(verifier.verify(token), 'issuer_unavailable');

      issuer.behaviour = 'ok';
      await new Promise((done) => setTimeout(done, 60));
      await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'alice' });
      expect(issuer.requestCount(DISCOVERY)).toBe(2);
    });

    it('item 15: backs off after a failed discovery or JWKS fetch instead of fetching per request', async () => {
      const issuer = await startIssuer();
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE });
      issuer.behaviour = 'server_error';
      const viaDiscovery = verifierFor([issuer], { issuerBackoff: { initialMs: 60_000, maxMs: 60_000 } });
      const viaJwks = verifierFor([{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }], {
        issuerBackoff: { initialMs: 60_000, maxMs: 60_000 },
      });
      for (let i = 0; i < 5; i += 1) {
        await rejectionOf(viaDiscovery.verify(token), 'issuer_unavailable');
        await rejectionOf(viaJwks.verify(token), 'issuer_unavailable');
      }
      expect(issuer.requestCount(DISCOVERY)).toBe(1);
      expect(issuer.requestCount('/jwks')).toBe(1);
    });

    it('when discovery names a different issuer', async () => {
      const issuer = await startIssuer();
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE });
      issuer.advertisedIssuer = 'http://127.0.0.1:1';
      const err = await rejectionOf(verifierFor([issuer]).verify(token), 'issuer_unavailable');
      expect(err.message).toBe(
        `token issuer ${issuer.issuer} is unavailable: its discovery document could not be fetched`,
      );
      expect(err.cause).toMatchObject({ name: 'ClientError', code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' });
      expect(issuer.requestCount('/jwks')).toBe(0);
    });
  });

  describe("item 1: Baton's own tokens are not keys to Baton", () => {
    it("refuses client_id / azp of an exchange client and act.sub naming Baton; accepts someone else's agent", async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer], { refusedClientIds: ['baton-worker'] });
      for (const claims of [{ client_id: 'baton-worker' }, { azp: 'baton-worker' }, { act: { sub: 'baton-worker' } }]) {
        const err = await rejectionOf(
          verifier.verify(await issuer.sign(key, { sub: 'alice', aud: AUDIENCE, ...claims })),
          'invalid_token',
        );
        expect(err.message).toMatch(/Baton's own/);
      }
      await expect(
        verifier.verify(
          await issuer.sign(key, {
            sub: 'alice',
            aud: AUDIENCE,
            client_id: 'dashboard',
            act: { sub: 'other-agent', act: { sub: 'baton-worker' } },
          }),
        ),
      ).resolves.toMatchObject({ subject: 'alice' });
    });

    it('requires typ at+jwt unless the issuer sets requireTyp: false', async () => {
      const issuer = await startIssuer();
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE }, { typ: 'JWT' });
      const err = await rejectionOf(verifierFor([issuer]).verify(token), 'invalid_token');
      expect(err.message).toBe('token "typ" must be at+jwt (RFC 9068)');
      await expect(verifierFor([{ issuer: issuer.issuer, requireTyp: false }]).verify(token)).resolves.toMatchObject({
        subject: 'alice',
      });
      await expect(
        verifierFor([issuer]).verify(
          await issuer.sign(key, { sub: 'alice', aud: AUDIENCE }, { typ: 'application/at+jwt' }),
        ),
      ).resolves.toMatchObject({ subject: 'alice' });
    });
  });

  describe('remembers verified tokens', () => {
    it('verifies a token once, then answers from memory for the same token only', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer]);
      const resolverFor = jest.spyOn(
        (verifier as unknown as { keySets: { resolverFor: () => unknown } }).keySets,
        'resolverFor',
      );
      const alice = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE, scope: 'a' });
      const bob = await issuer.sign(key, { sub: 'bob', aud: AUDIENCE, scope: 'b' });
      expect((await verifier.verify(alice)).subject).toBe('alice');
      expect((await verifier.verify(alice)).subject).toBe('alice');
      expect(resolverFor).toHaveBeenCalledTimes(1);
      expect((await verifier.verify(bob)).subject).toBe('bob');
      expect(resolverFor).toHaveBeenCalledTimes(2);
      // a refused token is never remembered as anything
      const tampered = alice.slice(0, -4) + (alice.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      await rejectionOf(verifier.verify(tampered), 'invalid_token');
      await rejectionOf(verifier.verify(tampered), 'invalid_token');
    });

    it('never past 60 s, and never past the token’s exp: then it is verified again (and may be refused)', async () => {
      const issuer = await startIssuer();
      let clock = Date.now();
      const verifier = verifierFor([issuer], { now: () => clock });
      const resolverFor = jest.spyOn(
        (verifier as unknown as { keySets: { resolverFor: () => unknown } }).keySets,
        'resolverFor',
      );
      const long = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE, exp: now() + 3600 });
      await verifier.verify(long);
      clock += 59_000;
      await verifier.verify(long);
      expect(resolverFor).toHaveBeenCalledTimes(1);
      clock += 2_000;
      await verifier.verify(long);
      expect(resolverFor).toHaveBeenCalledTimes(2);

      const short = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE, exp: Math.floor(clock / 1000) + 5 });
      await verifier.verify(short);
      clock += 70_000; // past exp and the 60 s tolerance
      await rejectionOf(verifier.verify(short), 'invalid_token');
    });

    it('can be turned off', async () => {
      const issuer = await startIssuer();
      const verifier = verifierFor([issuer], { verifiedCacheSeconds: 0 });
      const resolverFor = jest.spyOn(
        (verifier as unknown as { keySets: { resolverFor: () => unknown } }).keySets,
        'resolverFor',
      );
      const token = await issuer.sign(key, { sub: 'alice', aud: AUDIENCE });
      await verifier.verify(token);
      await verifier.verify(token);
      expect(resolverFor).toHaveBeenCalledTimes(2);
      expect(() => verifierFor([issuer], { verifiedCacheSeconds: 61 })).toThrow(RangeError);
    });
  });

  it('refuses a clock tolerance above 60 s at construction', () => {
    expect(() => verifierFor([], { clockToleranceSeconds: 61 })).toThrow(RangeError);
    expect(() => verifierFor([], { clockToleranceSeconds: -1 })).toThrow(RangeError);
  });
});
