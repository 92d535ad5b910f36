/**
 * Scopes an authorization server returned that were never requested. Any entry means the server
 * widened the grant, and the token must be discarded (SPEC §4 step 3, `scope_escalation`).
 * When a token response omits `scope`, RFC 6749 §5.1 says it equals the request: pass the
 * requested scopes as `returned` then.
 */
export function findWidenedScopes(requested: readonly string[], returned: readonly string[]): string[] {
  return difference(returned, requested);
}

/** Required scopes an authorization server left out of its response (`insufficient_scope`). */
export function findMissingScopes(required: readonly string[], returned: readonly string[]): string[] {
  return difference(required, returned);
}

/** Entries of `from` absent from `without`, deduplicated, in `from`'s order. */
function difference(from: readonly string[], without: readonly string[]): string[] {
  const excluded = new Set(without);
  return [...new Set(from.filter((scope) => !excluded.has(scope)))];
}
