import { clientAuthentication } from '../client-authentication.js';
import { rfc8693Parameters, TOKEN_EXCHANGE_GRANT_TYPE } from './rfc8693-request.js';
import type { VendorStrategy } from './vendor-strategy.js';

/**
 * Okta On-Behalf-Of Token Exchange at a custom authorization server
 * (https://developer.okta.com/docs/guides/set-up-token-exchange/-/main/): RFC 8693 at
 * `{issuer}/v1/token` (discovery), `audience` = the target authorization server's audience.
 * A scope outside the access policy answers `invalid_scope`, a policy that refuses the exchange
 * `access_denied`: both are a human's to fix (`consent_required`).
 */
export const oktaStrategy: VendorStrategy = {
  vendor: 'okta',
  buildRequest: (profile, input) => ({
    grantType: TOKEN_EXCHANGE_GRANT_TYPE,
    parameters: rfc8693Parameters(profile, input),
  }),
  clientAuthentication,
  grantedScope: (response) => response.scope,
  classifyError: (answer) => (answer.error === 'access_denied' ? { kind: 'consent_required' } : undefined),
};
