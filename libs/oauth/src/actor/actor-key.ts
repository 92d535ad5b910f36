import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

/** Algorithms an actor signing key may use (SPEC §9.3). */
export const ACTOR_TOKEN_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type ActorTokenAlgorithm = (typeof ACTOR_TOKEN_ALGORITHMS)[number];

/** An actor key ready to sign (or only to be published, when retired). */
export interface ActorKey {
  kid: string;
  alg: ActorTokenAlgorithm;
  privateKey: KeyObject;
  /** The public JWK as `/.well-known/jwks.json` serves it: `kid`, `alg`, `use: sig`. */
  publicJwk: JWK;
}

/** An actor key that cannot be used; the message names where it came from, never the key. */
export class ActorKeyError extends Error {
  override readonly name = 'ActorKeyError';
}

/**
 * Reads a PEM (PKCS #8) or JWK (JSON) private key. The algorithm is the JWK's `alg` when it has
 * one, else follows the key: RSA → RS256, RSA-PSS → PS256, P-256 → ES256, Ed25519 → EdDSA. The
 * `kid` is the JWK's, else the RFC 7638 thumbprint of the public key, so it is stable across restarts.
 */
export async function readActorKey(text: string, where: string): Promise<ActorKey> {
  let privateKey: KeyObject;
  let declared: { alg?: string; kid?: string } = {};
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as JWK;
      declared = { alg: jwk.alg, kid: jwk.kid };
      privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
    } else {
      privateKey = createPrivateKey(trimmed);
    }
  } catch {
    throw new ActorKeyError(`${where}: not a PEM or JWK private key`);
  }
  const alg = declared.alg ?? algorithmOf(privateKey);
  if (!alg || !(ACTOR_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new ActorKeyError(`${where}: the key's algorithm must be one of ${ACTOR_TOKEN_ALGORITHMS.join(', ')}`);
  }
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = declared.kid ?? (await calculateJwkThumbprint(publicJwk, 'sha256'));
  return { kid, alg: alg as ActorTokenAlgorithm, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

function algorithmOf(key: KeyObject): string | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
    case 'ed25519':
      return 'EdDSA';
    default:
      return undefined;
  }
}
