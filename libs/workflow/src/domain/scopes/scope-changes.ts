import { mergeNodeOAuth } from '../definition/effective-node.js';
import type { WorkflowDefinition } from '../definition/definition.schema.js';

/** How a node declares a scope (SPEC §12.3). */
export const ScopeKind = { Required: 'required', Optional: 'optional' } as const;
export type ScopeKind = (typeof ScopeKind)[keyof typeof ScopeKind];
export const SCOPE_KINDS: readonly ScopeKind[] = Object.values(ScopeKind);

/** One scope one node declares, and how. */
export interface ScopeDeclaration {
  node: string;
  scope: string;
  kind: ScopeKind;
}

/** What a version changed in the scopes its nodes declare, against the version before it. */
export interface ScopeChanges {
  previousVersion: number | null;
  added: ScopeDeclaration[];
  removed: ScopeDeclaration[];
}

/**
 * Every scope a definition's nodes declare, as each node's effective `oauth` (merged over
 * `defaults.oauth`, SPEC §3) has it: in definition order, required before optional, declared order.
 * Nodes without `oauth` (and approval nodes) declare nothing.
 */
export function declaredScopes(definition: WorkflowDefinition): ScopeDeclaration[] {
  const out: ScopeDeclaration[] = [];
  const seen = new Set<string>();
  for (const node of definition.nodes) {
    const oauth = mergeNodeOAuth(definition, node);
    if (!oauth) continue;
    const add = (scopes: readonly string[] | undefined, kind: ScopeKind) => {
      for (const scope of scopes ?? []) {
        const key = keyOf({ node: node.id, scope, kind });
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ node: node.id, scope, kind });
      }
    };
    add(oauth.requiredScopes, ScopeKind.Required);
    add(oauth.optionalScopes, ScopeKind.Optional);
  }
  return out;
}

/**
 * SPEC §12.3: the scopes `next` declares that `previous` did not (`added`) and the other way round
 * (`removed`), per (node, scope, kind) — so a scope moving between kinds is removed under its old
 * kind and added under its new one, and a node renamed counts as one removed and one added. With
 * no previous version every declared scope is added. `added` follows `next`'s order, `removed`
 * `previous`'s.
 */
export function diffScopeChanges(
  previous: { version: number; definition: WorkflowDefinition } | null,
  next: WorkflowDefinition,
): ScopeChanges {
  const before = previous ? declaredScopes(previous.definition) : [];
  const after = declaredScopes(next);
  const beforeKeys = new Set(before.map(keyOf));
  const afterKeys = new Set(after.map(keyOf));
  return {
    previousVersion: previous?.version ?? null,
    added: after.filter((d) => !beforeKeys.has(keyOf(d))),
    removed: before.filter((d) => !afterKeys.has(keyOf(d))),
  };
}

function keyOf(d: ScopeDeclaration): string {
  return JSON.stringify([d.node, d.scope, d.kind]);
}
