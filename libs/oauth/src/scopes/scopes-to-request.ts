import { narrowScopes, type NarrowedScopes, type ScopeNarrowingInput } from './narrow-scopes.js';

/** Where the scopes a node may request are decided (SPEC §9.1 `scopeSource`). */
export type ScopeSource = 'token' | 'authorization-server';

/**
 * The scopes an exchange requests. `token` (default): narrowed against the user's token
 * (SPEC §4 step 2). `authorization-server`: the user's token names only Baton's own scopes, so
 * every declared scope (required ∪ optional) is requested and the authorization server decides;
 * nothing is missing up front, and a refusal comes back as that vendor's consent error. Either
 * way a response that widens beyond the request is refused by the exchanger.
 */
export function scopesToRequest(input: ScopeNarrowingInput & { scopeSource?: ScopeSource }): NarrowedScopes {
  if (input.scopeSource !== 'authorization-server') return narrowScopes(input);
  return { granted: [...new Set([...input.requiredScopes, ...(input.optionalScopes ?? [])])], missing: [] };
}
