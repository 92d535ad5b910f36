import { transitionTable } from './transition-table.js';

/** Node states (SPEC §4). */
export const NodeStatus = {
  Pending: 'pending',
  Queued: 'queued',
  Running: 'running',
  WaitingForHuman: 'waiting_for_human',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Skipped: 'skipped',
  Cancelled: 'cancelled',
} as const;
export type NodeStatus = (typeof NodeStatus)[keyof typeof NodeStatus];
export const NODE_STATUSES: readonly NodeStatus[] = Object.values(NodeStatus);

export const TERMINAL_NODE_STATUSES: readonly NodeStatus[] = [
  NodeStatus.Succeeded,
  NodeStatus.Failed,
  NodeStatus.Skipped,
  NodeStatus.Cancelled,
];

export function isTerminalNodeStatus(status: NodeStatus): boolean {
  return TERMINAL_NODE_STATUSES.includes(status);
}

const { Pending, Queued, Running, WaitingForHuman, Succeeded, Failed, Skipped, Cancelled } = NodeStatus;

/**
 * running → queued: a retry after a transient failure, or the sweeper requeueing a node whose
 * worker died. waiting_for_human → queued (resume/retry) | succeeded (approve) | failed (reject,
 * abort, expiry). A running node is never cancelled or skipped: it finishes and its result counts.
 */
const nodeTransitions = transitionTable<NodeStatus>({
  [Pending]: [Queued, Skipped, Cancelled],
  [Queued]: [Running, Skipped, Cancelled],
  [Running]: [Succeeded, Failed, WaitingForHuman, Queued],
  [WaitingForHuman]: [Queued, Succeeded, Failed, Cancelled],
  [Succeeded]: [],
  [Failed]: [],
  [Skipped]: [],
  [Cancelled]: [],
});

/** Which current node states may move to `next`. */
export function allowedFromNode(next: NodeStatus): readonly NodeStatus[] {
  return nodeTransitions.allowedFrom(next);
}

export function canTransitionNode(from: NodeStatus, to: NodeStatus): boolean {
  return nodeTransitions.canTransition(from, to);
}
