export interface ScopeNarrowingInput {
  /** Scopes the node cannot run without. */
  requiredScopes: readonly string[];
  /** Scopes the node uses when the user has them. */
  optionalScopes?: readonly string[];
  /** Scopes the user's token carries. */
  userScopes: readonly string[];
}

export interface NarrowedScopes {
  /** What the exchange requests: required ∪ (optional ∩ user), required first, declared order. */
  granted: string[];
  /** Required scopes the user does not hold; non-empty means the node must not run. */
  missing: string[];
}

/**
 * Narrows a node's scopes against the user's (SPEC §4 step 2). The result never contains a user
 * scope the node did not declare, so an exchange cannot ask for more than the node needs.
 */
export function narrowScopes({ requiredScopes, optionalScopes = [], userScopes }: ScopeNarrowingInput): NarrowedScopes {
  const user = new Set(userScopes);
  const granted = new Set(requiredScopes);
  for (const scope of optionalScopes) {
    if (user.has(scope)) granted.add(scope);
  }
  const missing = new Set(requiredScopes.filter((scope) => !user.has(scope)));
  return { granted: [...granted], missing: [...missing] };
}
