import type { ExchangeProfile } from '@baton/platform';
import {
  allowInsecureRequests,
  Configuration,
  discovery,
  type ClientAuth,
  type ClientMetadata,
  type ServerMetadata,
} from 'openid-client';

/**
 * openid-client's `Configuration` for an exchange profile. With `tokenEndpoint` set, the server
 * metadata is just `{issuer, token_endpoint}` and nothing is fetched; otherwise OIDC discovery at
 * `{issuer}/.well-known/openid-configuration`. Plain `http://` is allowed only when the issuer or
 * the token endpoint is configured as `http://` (local development, tests). Every request the
 * configuration makes is limited to `timeoutSeconds`.
 */
export async function authorizationServerConfiguration(
  profile: Pick<ExchangeProfile, 'issuer' | 'tokenEndpoint' | 'clientId' | 'clientAuth'> &
    Partial<Pick<ExchangeProfile, 'revocationEndpoint'>>,
  clientAuth: ClientAuth,
  timeoutSeconds: number,
): Promise<Configuration> {
  const metadata: Partial<ClientMetadata> = { token_endpoint_auth_method: profile.clientAuth };
  const insecure = isHttp(profile.issuer) || (profile.tokenEndpoint !== undefined && isHttp(profile.tokenEndpoint));

  let config: Configuration;
  if (profile.tokenEndpoint) {
    config = new Configuration(
      {
        issuer: profile.issuer,
        token_endpoint: profile.tokenEndpoint,
        ...(profile.revocationEndpoint && { revocation_endpoint: profile.revocationEndpoint }),
      },
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
  if (profile.revocationEndpoint && !profile.tokenEndpoint) {
    // A configured RFC 7009 endpoint wins over (or stands in for) the discovered one.
    const discovered = config;
    config = new Configuration(
      {
        ...(JSON.parse(JSON.stringify(discovered.serverMetadata())) as ServerMetadata),
        revocation_endpoint: profile.revocationEndpoint,
      },
      profile.clientId,
      metadata,
      clientAuth,
    );
    if (insecure || isHttp(profile.revocationEndpoint)) allowInsecureRequests(config);
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
