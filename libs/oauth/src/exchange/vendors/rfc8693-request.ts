import type { ExchangeProfile } from '@baton/platform';
import type { VendorExchangeInput } from './vendor-strategy.js';

/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Parameters a profile's `extraParams` may not set: every grant's own, and client authentication. */
export const RESERVED_PARAMETERS: ReadonlySet<string> = new Set([
  'grant_type',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'assertion',
  'requested_token_use',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
]);

/** Which optional RFC 8693 fields a vendor sends. */
export interface Rfc8693Shape {
  sendsResource: boolean;
  sendsRequestedTokenType: boolean;
}

/**
 * The form fields of an RFC 8693 request (without `grant_type`, which openid-client adds):
 * `subject_token`, `subject_token_type`, `requested_token_type`, `audience`, `resource`, `scope`,
 * the actor token, then the profile's `extraParams`, which can never replace one of the grant's own.
 */
export function rfc8693Parameters(
  profile: Pick<ExchangeProfile, 'subjectTokenType' | 'requestedTokenType' | 'extraParams'>,
  input: VendorExchangeInput,
  shape: Rfc8693Shape = { sendsResource: true, sendsRequestedTokenType: true },
): URLSearchParams {
  const params = new URLSearchParams();
  params.set('subject_token', input.subjectToken);
  params.set('subject_token_type', profile.subjectTokenType);
  if (shape.sendsRequestedTokenType && profile.requestedTokenType)
    params.set('requested_token_type', profile.requestedTokenType);
  if (input.audience) params.set('audience', input.audience);
  if (shape.sendsResource && input.resource) params.set('resource', input.resource);
  const scope = [...new Set(input.scopes)].join(' ');
  if (scope) params.set('scope', scope);
  if (input.actorToken) {
    params.set('actor_token', input.actorToken.token);
    params.set('actor_token_type', input.actorToken.type);
  }
  return withExtraParams(params, profile.extraParams);
}

export function withExtraParams(
  params: URLSearchParams,
  extraParams: Record<string, string> | undefined,
): URLSearchParams {
  for (const [name, value] of Object.entries(extraParams ?? {})) {
    if (!RESERVED_PARAMETERS.has(name)) params.set(name, value);
  }
  return params;
}
