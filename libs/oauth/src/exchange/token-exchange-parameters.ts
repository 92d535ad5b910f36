import type { ExchangeProfile } from '@baton/platform';
import { rfc8693Parameters } from './vendors/rfc8693-request.js';

export { TOKEN_EXCHANGE_GRANT_TYPE } from './vendors/rfc8693-request.js';

/** What one exchange asks for, besides the profile's own settings. */
export interface TokenExchangeParametersInput {
  subjectToken: string;
  /** RFC 8693 `audience`. */
  audience?: string;
  /** RFC 8707 resource indicator. */
  resource?: string;
  /** Sent as `scope`, space-separated, duplicates dropped; omitted when empty. */
  scopes: readonly string[];
}

/**
 * The form parameters of a generic RFC 8693 request (without `grant_type`, which openid-client
 * adds): `subject_token`, `subject_token_type`, `requested_token_type` when the profile sets one,
 * `audience`, `resource`, `scope`, then the profile's `extraParams`. An extra parameter can never
 * replace one of the grant's own or the client's authentication: those are skipped. Vendors'
 * shapes are in `vendors/`.
 */
export function tokenExchangeParameters(
  profile: Pick<ExchangeProfile, 'subjectTokenType' | 'requestedTokenType' | 'extraParams'>,
  input: TokenExchangeParametersInput,
): URLSearchParams {
  return rfc8693Parameters(profile, input);
}
