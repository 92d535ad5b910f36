import { describe, expect, it } from '@jest/globals';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { ClientCredentialsError, clientAuthentication } from './client-authentication.js';

const base = { name: 'corp', privateKeyAlg: 'RS256' };

async function failure(promise: Promise<unknown>): Promise<ClientCredentialsError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a ClientCredentialsError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClientCredentialsError);
  return err as ClientCredentialsError;
}

describe('clientAuthentication', () => {
  it('builds secret-based authentication', async () => {
    await expect(
      clientAuthentication({ ...base, clientAuth: 'client_secret_basic', clientSecret: 's' }),
    ).resolves.toEqual(expect.any(Function));
    await expect(
      clientAuthentication({ ...base, clientAuth: 'client_secret_post', clientSecret: 's' }),
    ).resolves.toEqual(expect.any(Function));
  });

  it('refuses a secret method without a secret, naming the profile', async () => {
    const error = await failure(clientAuthentication({ ...base, clientAuth: 'client_secret_post' }));
    expect(error.message).toBe('exchange profile "corp": client_secret_post needs a client secret');
  });

  it('imports a PKCS #8 PEM key for privateKeyAlg', async () => {
    const { privateKey } = await generateKeyPair('PS256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    await expect(
      clientAuthentication({ ...base, clientAuth: 'private_key_jwt', privateKey: pem, privateKeyAlg: 'PS256' }),
    ).resolves.toEqual(expect.any(Function));
  });

  it('imports a private JWK (its own alg wins)', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
    await expect(
      clientAuthentication({
        ...base,
        clientAuth: 'private_key_jwt',
        privateKey: JSON.stringify(jwk),
        privateKeyAlg: 'RS256',
      }),
    ).resolves.toEqual(expect.any(Function));
  });

  it('refuses unusable keys without quoting them', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const publicJwk = JSON.stringify(await exportJWK(publicKey));
    const cases = [
      undefined,
      '{"kty":',
      publicJwk,
      JSON.stringify({ kty: 'oct', k: 'c2VjcmV0', alg: 'HS256', d: 'x' }),
      'not a key at all',
      pem, // an EC key for RS256
    ];
    for (const key of cases) {
      const error = await failure(clientAuthentication({ ...base, clientAuth: 'private_key_jwt', privateKey: key }));
      expect(error.message).toMatch(/^exchange profile "corp": /);
      if (key) expect(error.message).not.toContain(key);
      expect(error.message).not.toContain('PRIVATE KEY');
    }
  });
});
