import type { ExchangeProfile } from '@baton/platform';
import { importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';
import { ClientSecretBasic, ClientSecretPost, PrivateKeyJwt, type ClientAuth } from 'openid-client';

/** A profile whose client credentials cannot be used; the message names the profile, never the secret. */
export class ClientCredentialsError extends Error {
  override readonly name = 'ClientCredentialsError';
}

/**
 * openid-client's client authentication for a profile: `client_secret_basic`,
 * `client_secret_post`, or `private_key_jwt` with the profile's private key, which is PEM (PKCS #8)
 * or a JWK as JSON. A PEM key is imported for `privateKeyAlg`; a JWK for its own `alg` when it
 * declares one, else `privateKeyAlg`, and its `kid` goes into the assertion header.
 */
export async function clientAuthentication(
  profile: Pick<ExchangeProfile, 'name' | 'clientAuth' | 'clientSecret' | 'privateKey' | 'privateKeyAlg'>,
): Promise<ClientAuth> {
  switch (profile.clientAuth) {
    case 'client_secret_basic':
      return ClientSecretBasic(requireSecret(profile));
    case 'client_secret_post':
      return ClientSecretPost(requireSecret(profile));
    case 'private_key_jwt': {
      const { key, kid } = await importPrivateKey(profile);
      return PrivateKeyJwt(kid === undefined ? { key } : { key, kid });
    }
    default:
      throw new ClientCredentialsError(
        `exchange profile "${profile.name}": unsupported clientAuth ${JSON.stringify(profile.clientAuth)}`,
      );
  }
}

function requireSecret(profile: Pick<ExchangeProfile, 'name' | 'clientAuth' | 'clientSecret'>): string {
  if (!profile.clientSecret) {
    throw new ClientCredentialsError(`exchange profile "${profile.name}": ${profile.clientAuth} needs a client secret`);
  }
  return profile.clientSecret;
}

/** The profile's private key (PEM PKCS #8 or JWK JSON), imported for signing. */
export async function importPrivateKey(
  profile: Pick<ExchangeProfile, 'name' | 'privateKey' | 'privateKeyAlg'>,
): Promise<{ key: CryptoKey; kid?: string }> {
  const where = `exchange profile "${profile.name}"`;
  const text = profile.privateKey?.trim();
  if (!text) throw new ClientCredentialsError(`${where}: private_key_jwt needs a private key`);

  if (text.startsWith('{')) {
    let jwk: JWK;
    try {
      jwk = JSON.parse(text) as JWK;
    } catch {
      // The parser's message may quote the key text.
      throw new ClientCredentialsError(`${where}: the private key is neither PEM nor valid JWK JSON`);
    }
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') {
      throw new ClientCredentialsError(`${where}: the JWK is not a private key`);
    }
    const alg = typeof jwk.alg === 'string' ? jwk.alg : profile.privateKeyAlg;
    let key: Awaited<ReturnType<typeof importJWK>>;
    try {
      key = await importJWK(jwk, alg);
    } catch (err) {
      throw new ClientCredentialsError(`${where}: the JWK private key cannot be used with ${alg}: ${safeReason(err)}`);
    }
    if (key instanceof Uint8Array)
      throw new ClientCredentialsError(`${where}: the JWK must be an asymmetric private key`);
    return typeof jwk.kid === 'string' && jwk.kid !== '' ? { key, kid: jwk.kid } : { key };
  }

  try {
    return { key: await importPKCS8(text, profile.privateKeyAlg) };
  } catch (err) {
    throw new ClientCredentialsError(
      `${where}: the private key is not a PKCS #8 PEM key usable with ${profile.privateKeyAlg}: ${safeReason(err)}`,
    );
  }
}

/** jose's messages describe the problem, not the key material; keep only their first line anyway. */
function safeReason(err: unknown): string {
  const message = err instanceof Error ? err.message : 'invalid key';
  return message.split('\n')[0]!.slice(0, 200);
}
