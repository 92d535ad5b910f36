import { classifyExchangeError, type VendorErrorClassifier } from '../errors/exchange-failure.js';
import { TokenExchangeError } from './token-exchange-error.js';

export interface ExchangeFailureContext {
  /** The `exchangeProfiles` key. */
  profile: string;
  /**
   * `metadata`: fetching the authorization server's metadata (discovery) failed, which is always
   * `transient` (SPEC §2: an unreachable issuer is not a configuration error). `token`: the
   * token endpoint request failed.
   */
  stage: 'metadata' | 'token';
  /** Values that must never appear in a message (the subject token, the client secret, …). */
  secrets: readonly (string | undefined)[];
  now?: number;
  /** The profile's vendor reading of error bodies (SPEC §9.1). */
  vendor?: VendorErrorClassifier;
}

/**
 * Turns what openid-client threw into a `TokenExchangeError` through `classifyExchangeError`. The
 * message is built from the classification (the server's `error_description` included) with every
 * secret of the context cut out, so nothing sensitive can reach a log or an audit entry through it.
 */
export function exchangeFailureError(err: unknown, context: ExchangeFailureContext): TokenExchangeError {
  const failure = classifyExchangeError(err, context.now, context.vendor);
  const oauthError = oauthErrorOf(err);
  const reason =
    context.stage === 'metadata' && failure.status !== undefined
      ? `the discovery document request answered HTTP ${failure.status}`
      : (failure.description ?? failure.code);

  const kind = context.stage === 'metadata' ? 'transient' : failure.kind;
  const message =
    context.stage === 'metadata'
      ? `token exchange (profile "${context.profile}"): authorization server metadata unavailable: ${reason}`
      : `token exchange (profile "${context.profile}") failed: ${reason}`;

  return new TokenExchangeError(kind, redact(message, context.secrets), {
    profile: context.profile,
    oauthError,
    status: failure.status,
    retryAfterMs: failure.retryAfterMs,
    escalationDetail:
      failure.escalationDetail === undefined ? undefined : redact(failure.escalationDetail, context.secrets),
    cause: err,
  });
}

/**
 * The OAuth `error` code an authorization server answered with: from a JSON error body
 * (openid-client's ResponseBodyError) or a `WWW-Authenticate` challenge. Recognised by fields, not
 * `instanceof`, like `classifyExchangeError`.
 */
function oauthErrorOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const error = err as Record<string, unknown>;
  if (error.code === 'OAUTH_RESPONSE_BODY_ERROR' && typeof error.error === 'string') return error.error;
  if (error.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' && Array.isArray(error.cause)) {
    for (const challenge of error.cause as unknown[]) {
      const parameters = (challenge as { parameters?: Record<string, unknown> } | null)?.parameters;
      if (typeof parameters?.error === 'string' && parameters.error) return parameters.error;
    }
  }
  return undefined;
}

const REDACTED = '[redacted]';

/** `text` with every occurrence of each non-empty secret replaced. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  // Longest first, so a secret containing another is cut out whole.
  const ordered = secrets
    .filter((s): s is string => typeof s === 'string' && s !== '')
    .sort((a, b) => b.length - a.length);
  for (const secret of ordered) result = result.split(secret).join(REDACTED);
  return result;
}
