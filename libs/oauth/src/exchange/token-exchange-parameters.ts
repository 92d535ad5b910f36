import type { ExchangeProfile } from '@baton/platform';

/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

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

/** Parameters a profile's `extraParams` may not set: the grant's own, and client authentication. */
const RESERVED_PARAMETERS = new Set([
  'grant_type',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
]);

/**
 * The form parameters of an RFC 8693 request (without `grant_type`, which openid-client adds):
 * `subject_token`, `subject_token_type`, `requested_token_type` when the profile sets one,
 * `audience`, `resource`, `scope`, then the profile's `extraParams`. An extra parameter can never
 * replace one of the grant's own or the client's authentication: those are skipped.
 */
export function tokenExchangeParameters(
  profile: Pick<ExchangeProfile, 'subjectTokenType' | 'requestedTokenType' | 'extraParams'>,
  input: TokenExchangeParametersInput,
): URLSearchParams {
  const params = new URLSearchParams();
  params.set('subject_token', input.subjectToken);
  params.set('subject_token_type', profile.subjectTokenType);
  if (profile.requestedTokenType) params.set('requested_token_type', profile.requestedTokenType);
  if (input.audience) params.set('audience', input.audience);
  if (input.resource) params.set('resource', input.resource);
  const scope = [...new Set(input.scopes)].join(' ');
  if (scope) params.set('scope', scope);
  for (const [name, value] of Object.entries(profile.extraParams ?? {})) {
    if (!RESERVED_PARAMETERS.has(name)) params.set(name, value);
  }
  return params;
}
