/**
 * SPEC §11 attenuation: what a `workflow` node lets its child run obtain. Pure functions; the engine
 * and preflight decide with them, the unit tests cover every rule.
 *
 * A run's *delegation* is the chain of ceilings of the `workflow` nodes above it, root first (empty
 * at the root). Its scopes are the user's scopes intersected with every ceiling of the chain, so a
 * grandchild sees (user ∩ ceiling₁ ∩ ceiling₂): a child can never obtain a scope outside its parent's
 * ceiling, however broad the user's token.
 */

/** The `oauth` scope fields of a node (a workflow node's are its ceiling). */
export interface DeclaredScopes {
  readonly requiredScopes: readonly string[];
  readonly optionalScopes?: readonly string[];
}

/** A workflow node's ceiling: requiredScopes ∪ optionalScopes, deduplicated, in declared order. */
export function ceilingOf(oauth: DeclaredScopes): string[] {
  return [...new Set([...oauth.requiredScopes, ...(oauth.optionalScopes ?? [])])];
}

/**
 * The scopes a run may narrow against: the user's scopes within every ceiling of its delegation
 * chain (root first; empty at the root). In the user's order.
 */
export function delegatedScopes(userScopes: readonly string[], ceilings: readonly (readonly string[])[]): string[] {
  return [...new Set(userScopes.filter((scope) => ceilings.every((ceiling) => ceiling.includes(scope))))];
}

/**
 * SPEC §4.2 narrowing inside a delegation: granted = required ∪ (optional ∩ available), where
 * available = user ∩ ceilings; a required scope outside `available` is missing (→ escalation
 * `insufficient_scope` on that node). With `userScopesKnown: false` (a profile whose tokens name only
 * Baton's scopes, `scopeSource: authorization-server`) the user's scopes are not known up front, so
 * only the ceilings bound what is asked: optional scopes outside them are dropped, and a required one
 * outside them is missing.
 */
export function narrowWithinDelegation(input: {
  node: DeclaredScopes;
  userScopes: readonly string[];
  ceilings: readonly (readonly string[])[];
  userScopesKnown?: boolean;
}): { granted: string[]; missing: string[] } {
  const { node, ceilings } = input;
  const withinCeilings = (scope: string) => ceilings.every((ceiling) => ceiling.includes(scope));
  const available = (scope: string) =>
    withinCeilings(scope) && (input.userScopesKnown === false || input.userScopes.includes(scope));
  const required = [...new Set(node.requiredScopes)];
  const granted = [...required.filter(available), ...(node.optionalScopes ?? []).filter(available)];
  return { granted: [...new Set(granted)], missing: required.filter((scope) => !available(scope)) };
}

/** What a `workflow` node does when it starts, before any child exists. */
export type ParentStartDecision =
  | { readonly kind: 'start_child'; readonly ceiling: string[] }
  | { readonly kind: 'depth_exceeded'; readonly depth: number; readonly maxDepth: number }
  | { readonly kind: 'insufficient_scope'; readonly missing: string[] };

/**
 * SPEC §11, parent start. A run at `maxDelegationDepth` cannot start a child (fails
 * `delegation_depth_exceeded`: no human can fix it, so it is checked first). A required ceiling
 * scope the user lacks (within the run's own delegation) escalates `insufficient_scope` on the
 * parent node, before any child run exists.
 */
export function decideParentStart(input: {
  node: DeclaredScopes;
  depth: number;
  maxDepth: number;
  userScopes: readonly string[];
  ceilings: readonly (readonly string[])[];
  userScopesKnown?: boolean;
}): ParentStartDecision {
  if (input.depth >= input.maxDepth) return { kind: 'depth_exceeded', depth: input.depth, maxDepth: input.maxDepth };
  const { missing } = narrowWithinDelegation(input);
  if (missing.length > 0) return { kind: 'insufficient_scope', missing };
  return { kind: 'start_child', ceiling: ceilingOf(input.node) };
}

/**
 * SPEC §11, child start: every child node's `requiredScopes` must lie within the ceiling; otherwise
 * the child is not started and the parent node fails `delegation_exceeded` (not retried) with the
 * scopes outside it. Nodes without `oauth` (approval nodes, tokenless nodes) require nothing.
 * Returns those scopes, deduplicated, in node order; empty when the child may start.
 */
export function scopesBeyondCeiling(
  ceiling: readonly string[],
  childNodes: readonly { readonly oauth?: DeclaredScopes }[],
): string[] {
  const beyond = childNodes.flatMap((node) => (node.oauth?.requiredScopes ?? []).filter((s) => !ceiling.includes(s)));
  return [...new Set(beyond)];
}
