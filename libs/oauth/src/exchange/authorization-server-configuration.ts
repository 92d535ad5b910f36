import type { ExchangeProfile } from '@baton/platform';
import { allowInsecureRequests, Configuration, discovery, type ClientAuth, type ClientMetadata } from 'openid-client';

/**
 * openid-client's `Configuration` for an exchange profile. With `tokenEndpoint` set, the server
 * metadata is just `{issuer, token_endpoint}` and nothing is fetched; otherwise OIDC discovery at
 * `{issuer}/.well-known/openid-configuration`. Plain `http://` is allowed only when the issuer or
 * the token endpoint is configured as `http://` (local development, tests). Every request the
 * configuration makes is limited to `timeoutSeconds`.
 */
export async function authorizationServerConfiguration(
  profile: Pick<ExchangeProfile, 'issuer' | 'tokenEndpoint' | 'clientId' | 'clientAuth'>,
  clientAuth: ClientAuth,
  timeoutSeconds: number,
): Promise<Configuration> {
  const metadata: Partial<ClientMetadata> = { token_endpoint_auth_method: profile.clientAuth };
  const insecure = isHttp(profile.issuer) || (profile.tokenEndpoint !== undefined && isHttp(profile.tokenEndpoint));

  let config: Configuration;
  if (profile.tokenEndpoint) {
    config = new Configuration(
      { issuer: profile.issuer, token_endpoint: profile.tokenEndpoint },
      profile.clientId,
      metadata,
      clientAuth,
    );
    if (insecure) allowInsecureRequests(config);
  } else {
    config = await discovery(new URL(profile.issuer), profile.clientId, metadata, clientAuth, {
      execute: insecure ? [allowInsecureRequests] : [],
      timeout: timeoutSeconds,
    });
  }
  config.timeout = timeoutSeconds;
  return config;
}

function isHttp(url: string): boolean {
  try {
    return new URL(url).protocol === 'http:';
  } catch {
    return false;
  }
}
