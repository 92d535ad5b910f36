import { clientAuthentication } from '../client-authentication.js';
import { rfc8693Parameters, TOKEN_EXCHANGE_GRANT_TYPE } from './rfc8693-request.js';
import type { VendorStrategy } from './vendor-strategy.js';

/** SPEC §4 exactly: RFC 8693 with `audience`, `resource`, `scope`; the generic error table. */
export const genericStrategy: VendorStrategy = {
  vendor: 'generic',
  buildRequest: (profile, input) => ({
    grantType: TOKEN_EXCHANGE_GRANT_TYPE,
    parameters: rfc8693Parameters(profile, input),
  }),
  clientAuthentication,
  grantedScope: (response) => response.scope,
  classifyError: () => undefined,
};
