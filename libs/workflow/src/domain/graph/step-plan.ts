import { extractTemplateRefs } from '../template/extract-template-refs.js';
import type { DependencyNode } from './dependency-node.js';

/** A node that may become ready once one of its dependencies succeeds. */
export interface Successor {
  readonly id: string;
  /** Every dependency of the successor: all must have succeeded for it to be ready. */
  readonly deps: readonly string[];
}

/** What the engine needs of a definition's graph at each transition, computed once per version. */
export interface StepPlan {
  /** The successors of each node, in definition order. */
  readonly successors: ReadonlyMap<string, readonly Successor[]>;
  /** The node outputs each node's templates reference: what its claim loads, and nothing more. */
  readonly refs: ReadonlyMap<string, readonly string[]>;
}

/**
 * Only a node's successors can become ready when it succeeds (nothing else changed), so a
 * transition checks those, not the whole graph; and a node's templates can only read the outputs
 * they name, so its claim loads those outputs alone (not every finished node's).
 */
export function planSteps(nodes: readonly (DependencyNode & object)[]): StepPlan {
  const refs = new Map<string, string[]>(nodes.map((node) => [node.id, referencedNodes(node)]));
  const successors = new Map<string, Successor[]>(nodes.map((node) => [node.id, []]));
  for (const node of nodes) {
    const deps = [...new Set(node.dependsOn ?? [])];
    for (const dep of deps) successors.get(dep)?.push({ id: node.id, deps });
  }
  return { successors, refs };
}

/** The ids of the nodes whose output a node's templates read, sorted and without repeats. */
export function referencedNodes(node: object): string[] {
  const ids = new Set<string>();
  for (const { ref } of extractTemplateRefs(node)) if (ref.source === 'node') ids.add(ref.nodeId);
  return [...ids].sort();
}
