import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** The one signing key of a dev authorization server, generated fresh on every start. */
export interface SigningKey {
  readonly alg: 'RS256';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Private JWK (with `kid`, `alg`, `use`) as oidc-provider's `jwks` configuration wants it. */
  readonly privateJwk: JWK;
}

/**
 * RS256 is oidc-provider's default for everything it signs, so an RSA key needs no per-client or
 * per-endpoint algorithm configuration; every JOSE library verifies it.
 */
export async function generateSigningKey(): Promise<SigningKey> {
  const alg = 'RS256' as const;
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  // The thumbprint is computed over the public members only, so it is a stable, unique kid.
  const kid = await calculateJwkThumbprint(jwk);
  return { alg, kid, privateKey, publicKey, privateJwk: { ...jwk, kid, alg, use: 'sig' } };
}
