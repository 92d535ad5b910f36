import { NodeStatus } from './node-status.js';
import { RunStatus } from './run-status.js';

export type RunOutcome = typeof RunStatus.Succeeded | typeof RunStatus.Failed;

/**
 * What the node states say about the run: `failed` as soon as any node failed (SPEC §4: a failed
 * node fails the run while running nodes finish), `succeeded` when every node succeeded, else
 * `null` — the run is still going (a definition always has nodes, so an empty list never occurs). Cancellation is decided by the caller, never derived here.
 */
export function deriveRunOutcome(
  nodeStatuses: Iterable<NodeStatus> | Readonly<Record<string, NodeStatus>>,
): RunOutcome | null {
  const statuses = isIterable(nodeStatuses) ? [...nodeStatuses] : Object.values(nodeStatuses);
  if (statuses.includes(NodeStatus.Failed)) return RunStatus.Failed;
  if (statuses.every((status) => status === NodeStatus.Succeeded)) return RunStatus.Succeeded;
  return null;
}

function isIterable<T>(value: object): value is Iterable<T> {
  return Symbol.iterator in value;
}
