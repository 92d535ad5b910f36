import { describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { ActorKeyError, readActorKey } from './actor-key.js';
import { actorPublicJwks } from './actor-jwks.js';
import { ACTOR_TOKEN_LIFETIME_SECONDS, ActorTokenSigner, actClaimOf } from './actor-token-signer.js';

async function pem(alg: 'RS256' | 'ES256' | 'EdDSA'): Promise<string> {
  return exportPKCS8((await generateKeyPair(alg, { extractable: true })).privateKey);
}

const ISSUER = 'https://baton.example.com/agents';
const AS = 'https://idp.example.com';

describe('ActorTokenSigner (SPEC §9.3)', () => {
  it('signs typ JWT with kid; iss, sub, aud, iat, exp ≤ 60 s, jti', async () => {
    const now = new Date('2026-12-02T10:00:00Z');
    const signer = await ActorTokenSigner.create(
      {
        issuer: ISSUER,
        signingKey: await pem('ES256'),
        retiredKeys: [],
        tokenType: 'urn:ietf:params:oauth:token-type:jwt',
      },
      'a',
      () => now,
    );
    const token = await signer.sign({ subject: 'expense-agent', audience: AS });
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: signer.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: signer.publicKeys() }), {
      issuer: ISSUER,
      audience: AS,
      subject: 'expense-agent',
      currentDate: now,
      typ: 'JWT',
    });
    expect(payload.iat).toBe(now.getTime() / 1000);
    expect(payload.exp! - payload.iat!).toBe(ACTOR_TOKEN_LIFETIME_SECONDS);
    expect(ACTOR_TOKEN_LIFETIME_SECONDS).toBeLessThanOrEqual(60);
    expect(typeof payload.jti).toBe('string');
    expect(payload.act).toBeUndefined();
  });

  it('gives every token a fresh jti', async () => {
    const signer = await ActorTokenSigner.create(
      { issuer: ISSUER, signingKey: await pem('EdDSA'), retiredKeys: [], tokenType: 'x' },
      'a',
    );
    const jtis = new Set<unknown>();
    for (let i = 0; i < 20; i++)
      jtis.add(
        (
          await jwtVerify(
            await signer.sign({ subject: 'a', audience: AS }),
            createLocalJWKSet({ keys: signer.publicKeys() }),
          )
        ).payload.jti,
      );
    expect(jtis.size).toBe(20);
  });

  it('rotation: the retired key is published but never signs; tokens of the old key still verify', async () => {
    const oldKey = await pem('RS256');
    const newKey = await pem('ES256');
    const before = await ActorTokenSigner.create(
      { issuer: ISSUER, signingKey: oldKey, retiredKeys: [], tokenType: 'x' },
      'a',
    );
    const oldToken = await before.sign({ subject: 'a', audience: AS });

    const after = await ActorTokenSigner.create(
      { issuer: ISSUER, signingKey: newKey, retiredKeys: [oldKey], tokenType: 'x' },
      'a',
    );
    const published = after.publicKeys();
    expect(published.map((k) => k.kid)).toEqual([after.kid, before.kid]);
    expect(published.every((k) => k.use === 'sig' && typeof k.alg === 'string' && k.d === undefined)).toBe(true);
    const newToken = await after.sign({ subject: 'a', audience: AS });
    expect(decodeProtectedHeader(newToken).kid).toBe(after.kid);
    const jwks = createLocalJWKSet({ keys: published });
    await expect(jwtVerify(oldToken, jwks)).resolves.toBeDefined();
    await expect(jwtVerify(newToken, jwks)).resolves.toBeDefined();
  });

  it('a JWK key keeps its kid and alg; the kid of a PEM key is stable (RFC 7638 thumbprint)', async () => {
    const { privateKey } = await generateKeyPair('PS256', { extractable: true });
    const jwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'agent-2026', alg: 'PS256' });
    expect(await readActorKey(jwk, 'k')).toMatchObject({ kid: 'agent-2026', alg: 'PS256' });
    const text = await pem('RS256');
    expect((await readActorKey(text, 'k')).kid).toBe((await readActorKey(text, 'k')).kid);
  });

  it('refuses a key that is not one, naming where it came from and not quoting it', async () => {
    await expect(readActorKey('not-a-key-secret', 'exchangeProfiles.corp.actor.signingKeyEnv')).rejects.toThrow(
      ActorKeyError,
    );
    await expect(readActorKey('not-a-key-secret', 'exchangeProfiles.corp.actor.signingKeyEnv')).rejects.toThrow(
      /^exchangeProfiles.corp.actor.signingKeyEnv: not a PEM/,
    );
  });

  it('nests the parent chain in act, outermost = nearest parent (seam for sub-workflows)', async () => {
    expect(actClaimOf([])).toBeUndefined();
    expect(actClaimOf([{ sub: 'parent' }, { sub: 'grandparent', iss: ISSUER }])).toEqual({
      sub: 'parent',
      act: { sub: 'grandparent', iss: ISSUER },
    });
    const signer = await ActorTokenSigner.create(
      { issuer: ISSUER, signingKey: await pem('ES256'), retiredKeys: [], tokenType: 'x' },
      'a',
    );
    const token = await signer.sign({ subject: 'child', audience: AS, parentChain: [{ sub: 'parent' }] });
    expect((await jwtVerify(token, createLocalJWKSet({ keys: signer.publicKeys() }))).payload.act).toEqual({
      sub: 'parent',
    });
  });

  it("actorPublicJwks lists every profile's current and retired keys once", async () => {
    const a = await pem('ES256');
    const b = await pem('ES256');
    const base = {
      name: 'x',
      issuer: AS,
      clientId: 'c',
      clientAuth: 'client_secret_basic' as const,
      privateKeyAlg: 'RS256',
      subjectTokenType: 't',
      extraParams: {},
      expirySkewSeconds: 30,
    };
    const jwks = await actorPublicJwks({
      one: { ...base, actor: { issuer: ISSUER, signingKey: a, retiredKeys: [b], tokenType: 'x' } },
      two: { ...base, actor: { issuer: ISSUER, signingKey: a, retiredKeys: [], tokenType: 'x' } },
      three: base,
    });
    expect(jwks.keys.map((k) => k.kid)).toEqual([(await readActorKey(a, 'k')).kid, (await readActorKey(b, 'k')).kid]);
  });
});
