import { NodeStatus, allowedFromNode } from '../state/node-status.js';
import type { DependencyNode } from './dependency-node.js';

export type NodeStatuses = Readonly<Record<string, NodeStatus | undefined>>;

/**
 * The pending nodes whose every dependency has succeeded, in definition order: what the scheduler
 * enqueues next. A dependency on an unknown id is never satisfied.
 */
export function readyNodes(nodes: readonly DependencyNode[], statuses: NodeStatuses): string[] {
  return nodes
    .filter((node) => statuses[node.id] === NodeStatus.Pending)
    .filter((node) => (node.dependsOn ?? []).every((dep) => statuses[dep] === NodeStatus.Succeeded))
    .map((node) => node.id);
}

/**
 * When the run fails, the nodes that never started — `pending`, and `queued` ones whose job has
 * not yet claimed them — become `skipped`. Running nodes finish on their own.
 */
export function nodesToSkip(nodes: readonly DependencyNode[], statuses: NodeStatuses): string[] {
  return nodesIn(nodes, statuses, allowedFromNode(NodeStatus.Skipped));
}

/** When the run is cancelled: nodes not yet started, and nodes waiting for a human, become `cancelled`. */
export function nodesToCancel(nodes: readonly DependencyNode[], statuses: NodeStatuses): string[] {
  return nodesIn(nodes, statuses, allowedFromNode(NodeStatus.Cancelled));
}

function nodesIn(nodes: readonly DependencyNode[], statuses: NodeStatuses, wanted: readonly NodeStatus[]): string[] {
  return nodes
    .filter((node) => {
      const status = statuses[node.id];
      return status !== undefined && wanted.includes(status);
    })
    .map((node) => node.id);
}
