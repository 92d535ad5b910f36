import { describe, expect, it } from '@jest/globals';
import {
  NODE_STATUSES,
  NodeStatus,
  TERMINAL_NODE_STATUSES,
  allowedFromNode,
  canTransitionNode,
  isTerminalNodeStatus,
} from './node-status.js';

const { Pending, Queued, Running, WaitingForHuman, Succeeded, Failed, Skipped, Cancelled } = NodeStatus;

const ALLOWED: ReadonlyArray<[NodeStatus, NodeStatus]> = [
  [Pending, Queued],
  [Queued, Running],
  [Running, Succeeded],
  [Running, Failed],
  [Running, WaitingForHuman],
  [Running, Queued],
  [WaitingForHuman, Queued],
  [WaitingForHuman, Succeeded],
  [WaitingForHuman, Failed],
  [Pending, Skipped],
  [Queued, Skipped],
  [Pending, Cancelled],
  [Queued, Cancelled],
  [WaitingForHuman, Cancelled],
];

describe('NodeStatus', () => {
  it('has exactly the SPEC §4 values', () => {
    expect([...NODE_STATUSES].sort()).toEqual(
      ['cancelled', 'failed', 'pending', 'queued', 'running', 'skipped', 'succeeded', 'waiting_for_human'].sort(),
    );
  });

  it('treats succeeded, failed, skipped and cancelled as terminal', () => {
    expect([...TERMINAL_NODE_STATUSES].sort()).toEqual(['cancelled', 'failed', 'skipped', 'succeeded']);
    expect(NODE_STATUSES.filter(isTerminalNodeStatus).sort()).toEqual(['cancelled', 'failed', 'skipped', 'succeeded']);
  });
});

describe('canTransitionNode', () => {
  it.each(NODE_STATUSES.flatMap((from) => NODE_STATUSES.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
    const expected = ALLOWED.some(([f, t]) => f === from && t === to);
    expect(canTransitionNode(from, to)).toBe(expected);
  });

  it('lets a running node finish rather than be cancelled or skipped', () => {
    expect(canTransitionNode(Running, Cancelled)).toBe(false);
    expect(canTransitionNode(Running, Skipped)).toBe(false);
  });
});

describe('allowedFromNode', () => {
  it('lists the states a guarded UPDATE may move from', () => {
    expect(allowedFromNode(Pending)).toEqual([]);
    expect([...allowedFromNode(Queued)].sort()).toEqual([Pending, Running, WaitingForHuman].sort());
    expect(allowedFromNode(Running)).toEqual([Queued]);
    expect(allowedFromNode(WaitingForHuman)).toEqual([Running]);
    expect([...allowedFromNode(Succeeded)].sort()).toEqual([Running, WaitingForHuman].sort());
    expect([...allowedFromNode(Failed)].sort()).toEqual([Running, WaitingForHuman].sort());
    expect([...allowedFromNode(Skipped)].sort()).toEqual([Pending, Queued].sort());
    expect([...allowedFromNode(Cancelled)].sort()).toEqual([Pending, Queued, WaitingForHuman].sort());
  });

  it('agrees with canTransitionNode for every pair', () => {
    for (const to of NODE_STATUSES) {
      expect([...allowedFromNode(to)].sort()).toEqual(
        NODE_STATUSES.filter((from) => canTransitionNode(from, to)).sort(),
      );
    }
  });
});
