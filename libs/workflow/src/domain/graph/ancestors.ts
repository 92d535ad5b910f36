import type { DependencyNode } from './dependency-node.js';

/**
 * Every node `id` depends on, directly or transitively. The node itself is included only when it
 * sits on a cycle; unknown ids have no ancestors and unknown dependencies are left out.
 */
export function ancestorsOf(nodes: readonly DependencyNode[], id: string): Set<string> {
  const dependsOn = new Map<string, readonly string[]>();
  for (const node of nodes) if (!dependsOn.has(node.id)) dependsOn.set(node.id, node.dependsOn ?? []);
  const ancestors = new Set<string>();
  const toVisit = [...(dependsOn.get(id) ?? [])];
  while (toVisit.length > 0) {
    const next = toVisit.pop()!;
    if (ancestors.has(next) || !dependsOn.has(next)) continue;
    ancestors.add(next);
    toVisit.push(...dependsOn.get(next)!);
  }
  return ancestors;
}
