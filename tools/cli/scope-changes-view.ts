/** The scope changes of a stored version (SPEC §12.3), as `workflows apply` prints them. */
export interface ScopeChangesLike {
  previousVersion: number | null;
  added: { node: string; scope: string; kind: string }[];
  removed: { node: string; scope: string; kind: string }[];
}

/** One line per change: `+ node scope (kind)` for added, `- node scope (kind)` for removed; a summary line first. */
export function scopeChangeLines(changes: ScopeChangesLike): string[] {
  const since = changes.previousVersion === null ? 'new workflow' : `since version ${changes.previousVersion}`;
  if (changes.added.length === 0 && changes.removed.length === 0) return [`scopes unchanged (${since})`];
  return [
    `scope changes (${since}): ${changes.added.length} added, ${changes.removed.length} removed`,
    ...changes.removed.map((c) => `  - ${c.node} ${c.scope} (${c.kind})`),
    ...changes.added.map((c) => `  + ${c.node} ${c.scope} (${c.kind})`),
  ];
}
