import { clientAuthentication } from '../client-authentication.js';
import { rfc8693Parameters, TOKEN_EXCHANGE_GRANT_TYPE } from './rfc8693-request.js';
import type { VendorStrategy } from './vendor-strategy.js';

/**
 * Auth0 Custom Token Exchange (https://auth0.com/docs/get-started/authentication-and-authorization-flow/token-exchange-flow/call-your-api-using-the-custom-token-exchange-flow):
 * RFC 8693 at `/oauth/token` with the profile's own `subject_token_type` (a URI the customer owns,
 * mapped to the Action that validates the subject token), `audience` = the API identifier, `scope`;
 * never `requested_token_type` or `resource`. `access_denied` (the Action refused, or RBAC) →
 * `consent_required`; `invalid_request`/`invalid_grant` → `revoked`; 429 → transient.
 */
export const auth0Strategy: VendorStrategy = {
  vendor: 'auth0',
  buildRequest: (profile, input) => ({
    grantType: TOKEN_EXCHANGE_GRANT_TYPE,
    parameters: rfc8693Parameters(profile, input, { sendsResource: false, sendsRequestedTokenType: false }),
  }),
  clientAuthentication,
  grantedScope: (response) => response.scope,
  classifyError: (answer) => (answer.error === 'access_denied' ? { kind: 'consent_required' } : undefined),
};
