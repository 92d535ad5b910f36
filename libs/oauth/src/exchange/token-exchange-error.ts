/**
 * Why an RFC 8693 exchange gave no usable token (SPEC §4 step 3):
 * - `revoked`: the subject token is unusable (`invalid_grant`, `invalid_request`) → audit
 *   `token.revoked`, escalation `token_revoked`;
 * - `consent_required`: `consent_required`, `interaction_required`, `invalid_scope`,
 *   `invalid_target` → escalation `consent_required`;
 * - `transient`: network failure, timeout, 5xx, 429, authorization server metadata unreachable →
 *   the node's retry policy, honouring `retryAfterMs`;
 * - `fatal`: misconfiguration or an answer we do not understand → the node fails, no retry;
 * - `scope_escalation`: the server granted a scope that was not requested; the token was discarded
 *   → the node fails;
 * - `insufficient_scope`: the server left out a required scope → escalation `insufficient_scope`;
 * - `exchange_refused`: the server refused this client the exchange for a configuration reason
 *   (Keycloak `access_denied`) → the node fails `exchange_refused`, no retry;
 * - `token_expired`: the server found the user's token outside its validity (Entra AADSTS500133)
 *   → audit `token.expired`, escalation `token_expired`.
 *
 * `consent_required` also covers a user token whose `may_act` does not name the actor (SPEC §9.3);
 * no exchange was attempted then. `escalationDetail` carries what the human needs to know.
 */
export type TokenExchangeErrorCode =
  | 'exchange_refused'
  | 'token_expired'
  | 'revoked'
  | 'consent_required'
  | 'transient'
  | 'fatal'
  | 'scope_escalation'
  | 'insufficient_scope';

export interface TokenExchangeErrorDetails {
  /** The `exchangeProfiles` key the exchange used. */
  profile: string;
  /** The OAuth `error` the authorization server answered with, e.g. `invalid_grant`. */
  oauthError?: string;
  /** HTTP status of the authorization server's answer, when there was one. */
  status?: number;
  /** From `Retry-After`, for `transient` failures. */
  retryAfterMs?: number;
  /** `scope_escalation`: the scopes granted without being requested. */
  widenedScopes?: string[];
  /** `insufficient_scope`: the required scopes the server left out. */
  missingScopes?: string[];
  /** For the escalation's `detail`: Entra's `claims` challenge, the `may_act` refusal, … */
  escalationDetail?: string;
  cause?: unknown;
}

/**
 * The one error `TokenExchanger` throws. Its `message` is safe for logs and audit entries: it never
 * holds the subject token, an issued token, the client secret or the private key.
 */
export class TokenExchangeError extends Error {
  override readonly name = 'TokenExchangeError';
  readonly profile: string;
  readonly oauthError?: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly widenedScopes?: string[];
  readonly missingScopes?: string[];
  readonly escalationDetail?: string;

  constructor(
    readonly code: TokenExchangeErrorCode,
    message: string,
    details: TokenExchangeErrorDetails,
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.profile = details.profile;
    if (details.oauthError !== undefined) this.oauthError = details.oauthError;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.widenedScopes !== undefined) this.widenedScopes = details.widenedScopes;
    if (details.missingScopes !== undefined) this.missingScopes = details.missingScopes;
    if (details.escalationDetail !== undefined) this.escalationDetail = details.escalationDetail;
  }

  /** Whether the node's retry policy applies. */
  get retryable(): boolean {
    return this.code === 'transient';
  }
}
