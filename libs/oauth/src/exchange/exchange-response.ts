import { decodeJwt } from 'jose';
import type { ExchangedToken } from '../cache/exchanged-token-cache.js';
import { findMissingScopes, findWidenedScopes } from '../scopes/scope-difference.js';
import { parseScopes } from '../scopes/parse-scopes.js';

/** Lifetime assumed when a token response has no `expires_in`. */
export const DEFAULT_EXPIRES_IN_SECONDS = 300;

/** The fields of a token endpoint response read here. */
export interface TokenResponseFields {
  access_token: string;
  expires_in?: number;
  scope?: string;
}

export type GrantedScopesCheck =
  | { ok: true; scopes: string[] }
  | { ok: false; code: 'scope_escalation'; widened: string[] }
  | { ok: false; code: 'insufficient_scope'; missing: string[]; scopes: string[] };

/**
 * Compares the `scope` of a token response with the request (SPEC §4 step 3). Absent `scope`
 * means "exactly what was requested" (RFC 6749 §5.1). Any scope that was not requested is a
 * `scope_escalation` (checked first: such a token must be discarded whatever else holds); a
 * required scope left out is `insufficient_scope`.
 */
export function checkGrantedScopes(
  requested: readonly string[],
  required: readonly string[],
  responseScope: string | undefined,
): GrantedScopesCheck {
  const granted = responseScope === undefined ? [...new Set(requested)] : parseScopes(responseScope);
  const widened = findWidenedScopes(requested, granted);
  if (widened.length > 0) return { ok: false, code: 'scope_escalation', widened };
  const missing = findMissingScopes(required, granted);
  if (missing.length > 0) return { ok: false, code: 'insufficient_scope', missing, scopes: granted };
  return { ok: true, scopes: granted };
}

/**
 * The token to hand out and cache: `expiresAt` from `expires_in` (300 s when absent), and the
 * `jti` of the access token when it is a JWT carrying one (read without verification, for audit
 * entries only; an opaque token simply has none).
 */
export function toExchangedToken(response: TokenResponseFields, scopes: string[], now: Date): ExchangedToken {
  const expiresIn =
    typeof response.expires_in === 'number' && Number.isFinite(response.expires_in)
      ? response.expires_in
      : DEFAULT_EXPIRES_IN_SECONDS;
  const token: ExchangedToken = {
    accessToken: response.access_token,
    expiresAt: new Date(now.getTime() + expiresIn * 1000),
    scopes,
  };
  const jti = jtiOf(response.access_token);
  if (jti !== undefined) token.jti = jti;
  return token;
}

function jtiOf(accessToken: string): string | undefined {
  try {
    const { jti } = decodeJwt(accessToken);
    return typeof jti === 'string' && jti !== '' ? jti : undefined;
  } catch {
    return undefined;
  }
}
