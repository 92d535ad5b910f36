import type { JWTPayload } from 'jose';

/**
 * Reads a scope claim: a space-separated string (`scope`, RFC 9068 / RFC 6749) or an array of
 * strings (`scp`, as some issuers send; array entries may themselves be space-separated).
 * Anything else yields no scopes: a malformed claim must never grant more than nothing.
 * Duplicates are dropped; first-seen order is kept.
 */
export function parseScopes(claimValue: unknown): string[] {
  const parts: unknown[] = Array.isArray(claimValue) ? claimValue : [claimValue];
  const scopes = new Set<string>();
  for (const part of parts) {
    if (typeof part !== 'string') continue;
    for (const scope of part.split(/\s+/)) {
      if (scope) scopes.add(scope);
    }
  }
  return [...scopes];
}

/** The scopes of a token: its `scope` claim when present, else its `scp` claim, else none. */
export function scopesFromClaims(claims: JWTPayload): string[] {
  return parseScopes(claims.scope !== undefined ? claims.scope : claims.scp);
}
