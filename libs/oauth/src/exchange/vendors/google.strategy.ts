import { None, type ClientAuth } from 'openid-client';
import { rfc8693Parameters, TOKEN_EXCHANGE_GRANT_TYPE } from './rfc8693-request.js';
import type { VendorStrategy } from './vendor-strategy.js';

/**
 * Google Security Token Service (https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token):
 * RFC 8693 at `https://sts.googleapis.com/v1/token` without any client authentication — no
 * `Authorization` header (Google warns it can make the request fail) and no `client_id` — with
 * `audience` = the workload identity provider's resource name, `scope` (required),
 * `subject_token_type` (default `…:jwt`), `requested_token_type` access_token and `options` (JSON)
 * from `extraParams`. The issued token is opaque: no `jti`; its expiry is `expires_in`.
 */
export const googleStrategy: VendorStrategy = {
  vendor: 'google',
  buildRequest: (profile, input) => ({
    grantType: TOKEN_EXCHANGE_GRANT_TYPE,
    parameters: rfc8693Parameters(profile, input),
  }),
  clientAuthentication: () => Promise.resolve(noClientAuthentication()),
  grantedScope: (response) => response.scope,
  classifyError: () => undefined,
};

/** openid-client's `None()` (public client), minus the `client_id` it adds: STS knows no clients. */
function noClientAuthentication(): ClientAuth {
  const none = None();
  return (as, client, body, headers) => {
    none(as, client, body, headers);
    body.delete('client_id');
    headers.delete('authorization');
  };
}
