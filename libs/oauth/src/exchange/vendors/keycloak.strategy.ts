import { decodeJwt } from 'jose';
import { clientAuthentication } from '../client-authentication.js';
import { rfc8693Parameters, TOKEN_EXCHANGE_GRANT_TYPE } from './rfc8693-request.js';
import type { VendorStrategy } from './vendor-strategy.js';

/**
 * Keycloak ≥ 26.2 "standard token exchange" (https://www.keycloak.org/securing-apps/token-exchange):
 * `audience` is the target client's id, `requested_token_type` access_token, never `resource`
 * (workflow validation refuses a node that names one). Keycloak often leaves `scope` out of its
 * answer: the issued JWT's `scope` claim says what was granted. `invalid_request` ("Invalid token")
 * is its answer for a revoked or expired subject token (generic table: `revoked`); `access_denied`
 * ("Client is not within the token audience") is configuration, not a human matter.
 */
export const keycloakStrategy: VendorStrategy = {
  vendor: 'keycloak',
  buildRequest: (profile, input) => ({
    grantType: TOKEN_EXCHANGE_GRANT_TYPE,
    parameters: rfc8693Parameters(profile, input, { sendsResource: false, sendsRequestedTokenType: true }),
  }),
  clientAuthentication,
  grantedScope: (response) => response.scope ?? scopeClaimOf(response.access_token),
  classifyError: (answer) => (answer.error === 'access_denied' ? { kind: 'exchange_refused' } : undefined),
};

function scopeClaimOf(accessToken: string): string | undefined {
  try {
    const { scope } = decodeJwt(accessToken);
    return typeof scope === 'string' ? scope : undefined;
  } catch {
    return undefined;
  }
}
