import { parseRetryAfter } from './retry-after.js';

/**
 * What a failed RFC 8693 exchange means for the node (SPEC §4 step 3):
 * - `revoked`: the subject token is unusable → audit `token.revoked`, escalation `token_revoked`;
 * - `consent_required`: a human must grant something → escalation `consent_required`;
 * - `transient`: network, timeout, 5xx, 429 → the node's retry policy (honouring `retryAfterMs`);
 * - `fatal`: misconfiguration or an answer we do not understand → the node fails, no retry;
 * - `exchange_refused`: the server refused this client the exchange for a reason of configuration
 *   (Keycloak `access_denied`) → the node fails `exchange_refused`, no retry;
 * - `token_expired`: the server says the user's token is outside its validity (Entra
 *   AADSTS500133) → audit `token.expired`, escalation `token_expired`.
 */
export type ExchangeFailureKind =
  'revoked' | 'consent_required' | 'transient' | 'fatal' | 'exchange_refused' | 'token_expired';

/**
 * A vendor's reading of an OAuth error body (SPEC §9.1), consulted before the generic table;
 * `undefined` leaves the answer to the generic table.
 */
export type VendorErrorClassifier = (answer: {
  error: string;
  description?: string;
  status?: number;
  body: Record<string, unknown>;
}) => { kind: ExchangeFailureKind; escalationDetail?: string } | undefined;

export interface ExchangeFailure {
  kind: ExchangeFailureKind;
  /** The OAuth `error` when the server sent one, else a short code of ours (`http_503`, `timeout`, …). */
  code: string;
  retryAfterMs?: number;
  /** HTTP status of the authorization server's answer, when there was one. */
  status?: number;
  /** For audit entries and logs; never holds a token or a secret. */
  description?: string;
  /** What a human needs to know, for the escalation's `detail` (e.g. Entra's `claims` challenge). */
  escalationDetail?: string;
}

// RFC 8693 §2.2.2 says a bad subject token answers invalid_request; many servers send invalid_grant.
const SUBJECT_TOKEN_UNUSABLE = new Set(['invalid_grant', 'invalid_request']);
const NEEDS_CONSENT = new Set(['consent_required', 'interaction_required', 'invalid_scope', 'invalid_target']);
const SERVER_BUSY = new Set(['temporarily_unavailable', 'server_error']);
// A Map, not an object literal: the server chooses `error`, and "constructor" must not match.
const CHECK_CLIENT_CREDENTIALS = "check the exchange profile's clientId, client secret or private key";
const MISCONFIGURATION = new Map([
  ['invalid_client', CHECK_CLIENT_CREDENTIALS],
  ['unauthorized_client', 'the client is not allowed to use token exchange at the authorization server'],
  ['unsupported_grant_type', 'the authorization server does not support token exchange'],
]);
/**
 * The OAuth `error` values a metric may carry as a label (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 8707,
 * OIDC Core §3.1.2.6 and the vendor answers the classifier reads). The server chooses `error`, so
 * anything else is `other`: a label vocabulary must stay closed.
 */
const LABELLED_OAUTH_ERRORS: ReadonlySet<string> = new Set([
  ...SUBJECT_TOKEN_UNUSABLE,
  ...NEEDS_CONSENT,
  ...SERVER_BUSY,
  ...MISCONFIGURATION.keys(),
  'access_denied',
  'login_required',
  'unsupported_token_type',
]);

/** `error` label of an exchange failure: the OAuth error when it is a known one, `other`, or `none` (no OAuth answer). */
export function exchangeErrorLabel(oauthError: string | undefined): string {
  if (oauthError === undefined) return 'none';
  return LABELLED_OAUTH_ERRORS.has(oauthError) ? oauthError : 'other';
}

// Node's and undici's codes for a connection that failed or broke.
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * Classifies what openid-client 6 throws from an exchange (see NOTES.md "How openid-client 6
 * fails"). Errors are recognised by their `name`/`code` fields rather than `instanceof`, so a
 * second copy of openid-client in node_modules cannot defeat the classification.
 */
export function classifyExchangeError(
  err: unknown,
  now: number = Date.now(),
  vendor?: VendorErrorClassifier,
): ExchangeFailure {
  const error = asRecord(err);
  if (!error) return unknownFailure(err);

  // A 4xx with a JSON `{error}` body.
  if (error.code === 'OAUTH_RESPONSE_BODY_ERROR' && typeof error.error === 'string') {
    return classifyErrorBody(error, error.error, now, vendor);
  }

  // Any non-200 answer with WWW-Authenticate; oidc-provider sends one for bad client credentials.
  if (error.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
    const response = responseOf(error.response);
    const status = response?.status ?? numberOrUndefined(error.status);
    if (status !== undefined && isServerBusy(status)) return transientHttp(status, response, now);
    const challengeError = firstChallengeError(error.cause);
    return {
      kind: 'fatal',
      code: challengeError ?? 'client_authentication_failed',
      status,
      description:
        `misconfiguration: the authorization server refused the client's authentication` +
        `${status ? ` (HTTP ${status})` : ''}; ${CHECK_CLIENT_CREDENTIALS}`,
    };
  }

  if (error.name === 'ClientError') {
    const classified = classifyClientError(error, now);
    if (classified) return classified;
  }

  return classifyTransportFailure(err) ?? unknownFailure(err);
}

function classifyErrorBody(
  error: Record<string, unknown>,
  oauthError: string,
  now: number,
  vendor?: VendorErrorClassifier,
): ExchangeFailure {
  const response = responseOf(error.response);
  const status = response?.status ?? numberOrUndefined(error.status);
  const description = stringOrUndefined(error.error_description);
  if ((status !== undefined && isServerBusy(status)) || SERVER_BUSY.has(oauthError)) {
    return withRetryAfter({ kind: 'transient', code: oauthError, status, description }, response, now);
  }
  // openid-client puts the parsed JSON body in `cause`.
  const verdict = vendor?.({ error: oauthError, description, status, body: asRecord(error.cause) ?? {} });
  if (verdict) {
    const failure: ExchangeFailure = { kind: verdict.kind, code: oauthError, status, description };
    if (verdict.escalationDetail !== undefined) failure.escalationDetail = verdict.escalationDetail;
    return failure;
  }
  if (SUBJECT_TOKEN_UNUSABLE.has(oauthError)) return { kind: 'revoked', code: oauthError, status, description };
  if (NEEDS_CONSENT.has(oauthError)) return { kind: 'consent_required', code: oauthError, status, description };
  const hint = MISCONFIGURATION.get(oauthError);
  return {
    kind: 'fatal',
    code: oauthError,
    status,
    description: hint
      ? `misconfiguration: ${hint} (${oauthError}${description ? `: ${description}` : ''})`
      : description,
  };
}

/** openid-client's own error: wraps non-conform answers (5xx land here), timeouts and aborts. */
function classifyClientError(error: Record<string, unknown>, now: number): ExchangeFailure | undefined {
  const code = stringOrUndefined(error.code);
  if (code === 'OAUTH_TIMEOUT')
    return { kind: 'transient', code: 'timeout', description: 'authorization server timed out' };
  if (code === 'OAUTH_ABORT') return { kind: 'transient', code: 'aborted', description: 'request was aborted' };

  // OAUTH_RESPONSE_IS_NOT_CONFORM / OAUTH_RESPONSE_IS_NOT_JSON carry the Response as `cause`.
  const response = responseOf(error.cause);
  if (response && isServerBusy(response.status)) return transientHttp(response.status, response, now);
  if (response) {
    return {
      kind: 'fatal',
      code: `http_${response.status}`,
      status: response.status,
      description:
        `misconfiguration: the token endpoint answered HTTP ${response.status} without an OAuth error ` +
        `(${code ?? 'unexpected response'}); check the exchange profile's issuer or tokenEndpoint`,
    };
  }
  if (code === 'OAUTH_HTTP_REQUEST_FORBIDDEN' || code === 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN') {
    return { kind: 'fatal', code, description: `misconfiguration: ${stringOrUndefined(error.message)}` };
  }
  // "something went wrong" wraps whatever failed underneath; a network failure may be inside.
  const underlying = classifyTransportFailure(error.cause);
  if (underlying) return underlying;
  return code ? { kind: 'fatal', code, description: stringOrUndefined(error.message) } : undefined;
}

/** Network failures and timeouts, anywhere in the `cause` chain. */
function classifyTransportFailure(err: unknown): ExchangeFailure | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5; depth++) {
    const error = asRecord(current);
    if (!error) return undefined;
    if (error.name === 'TimeoutError' || error.code === 'OAUTH_TIMEOUT') {
      return { kind: 'transient', code: 'timeout', description: 'authorization server timed out' };
    }
    if (error.name === 'AbortError') return { kind: 'transient', code: 'aborted', description: 'request was aborted' };
    const code = stringOrUndefined(error.code);
    if (code && (NETWORK_ERROR_CODES.has(code) || code.startsWith('UND_ERR_'))) {
      return { kind: 'transient', code: 'network_error', description: `network error (${code})` };
    }
    // undici's fetch rejects with TypeError('fetch failed'); the socket error is in its cause.
    if (error.name === 'TypeError' && error.message === 'fetch failed') {
      return (
        classifyTransportFailure(error.cause) ?? {
          kind: 'transient',
          code: 'network_error',
          description: 'fetch failed',
        }
      );
    }
    current = error.cause;
  }
  return undefined;
}

function unknownFailure(err: unknown): ExchangeFailure {
  const error = asRecord(err);
  const summary = error ? `${String(error.name ?? 'Error')}: ${String(error.message ?? '')}` : String(err);
  return { kind: 'fatal', code: 'unexpected_error', description: summary.slice(0, 300) };
}

function transientHttp(status: number, response: HttpAnswer | undefined, now: number): ExchangeFailure {
  return withRetryAfter(
    { kind: 'transient', code: `http_${status}`, status, description: `authorization server answered HTTP ${status}` },
    response,
    now,
  );
}

function withRetryAfter(failure: ExchangeFailure, response: HttpAnswer | undefined, now: number): ExchangeFailure {
  const retryAfterMs = parseRetryAfter(response?.headers.get('retry-after'), now);
  return retryAfterMs === undefined ? failure : { ...failure, retryAfterMs };
}

function isServerBusy(status: number): boolean {
  return status === 429 || status >= 500;
}

function firstChallengeError(challenges: unknown): string | undefined {
  if (!Array.isArray(challenges)) return undefined;
  for (const challenge of challenges) {
    const error = asRecord(asRecord(challenge)?.parameters)?.error;
    if (typeof error === 'string' && error) return error;
  }
  return undefined;
}

/** The parts of a fetch Response read here. */
interface HttpAnswer {
  status: number;
  headers: { get(name: string): string | null };
}

// Duck-typed for the same reason as the errors: a Response from another realm is still one.
function responseOf(value: unknown): HttpAnswer | undefined {
  const candidate = asRecord(value);
  const headers = asRecord(candidate?.headers);
  return typeof candidate?.status === 'number' && typeof headers?.get === 'function'
    ? (candidate as unknown as HttpAnswer)
    : undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
