import type { DependencyNode } from './dependency-node.js';

/**
 * The first dependency cycle, in definition order, as the ids along the dependsOn edges with the
 * first id repeated at the end (`['a', 'b', 'a']`: a depends on b, b on a). A self-dependency is
 * a cycle of length 1 (`['a', 'a']`). Dependencies on unknown ids are ignored.
 */
export function findCycle(nodes: readonly DependencyNode[]): string[] | null {
  return findCycles(nodes)[0] ?? null;
}

/**
 * One cycle per strongly connected component that has one, so a definition with two separate
 * cycles gets both reported. Each cycle starts at its component's first node in definition order
 * and is the shortest way back to it, so the answer is stable for a given definition.
 */
export function findCycles(nodes: readonly DependencyNode[]): string[][] {
  const order = new Map<string, number>();
  nodes.forEach((node, index) => {
    if (!order.has(node.id)) order.set(node.id, index); // duplicate ids are reported elsewhere; the first one wins
  });
  const edges = new Map<string, string[]>();
  for (const node of nodes) {
    if (!edges.has(node.id))
      edges.set(
        node.id,
        (node.dependsOn ?? []).filter((dep) => order.has(dep)),
      );
  }
  const cycles: string[][] = [];
  for (const component of stronglyConnectedComponents(edges)) {
    const start = component.reduce((a, b) => (order.get(a)! <= order.get(b)! ? a : b));
    const cycle = shortestCycleThrough(start, new Set(component), edges);
    if (cycle) cycles.push(cycle);
  }
  return cycles.sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** Tarjan's algorithm; recursion depth is bounded by the node count (at most 100 per definition). */
function stronglyConnectedComponents(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];

  const visit = (id: string): void => {
    index.set(id, index.size);
    lowLink.set(id, index.get(id)!);
    stack.push(id);
    onStack.add(id);
    for (const dep of edges.get(id) ?? []) {
      if (!index.has(dep)) {
        visit(dep);
        lowLink.set(id, Math.min(lowLink.get(id)!, lowLink.get(dep)!));
      } else if (onStack.has(dep)) {
        lowLink.set(id, Math.min(lowLink.get(id)!, index.get(dep)!));
      }
    }
    if (lowLink.get(id) === index.get(id)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== id);
      components.push(component);
    }
  };

  for (const id of edges.keys()) if (!index.has(id)) visit(id);
  return components;
}

/** Breadth-first from `start` inside its component back to `start`; null when there is no way back. */
function shortestCycleThrough(
  start: string,
  component: ReadonlySet<string>,
  edges: ReadonlyMap<string, readonly string[]>,
): string[] | null {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const dep of edges.get(id) ?? []) {
      if (!component.has(dep)) continue;
      if (dep === start) {
        const path = [start];
        for (let at = id; at !== start; at = cameFrom.get(at)!) path.push(at);
        return [start, ...path.slice(1).reverse(), start];
      }
      if (!cameFrom.has(dep)) {
        cameFrom.set(dep, id);
        queue.push(dep);
      }
    }
  }
  return null;
}
