import { describe, expect, it } from '@jest/globals';
import { NodeStatus } from './node-status.js';
import { deriveRunOutcome } from './run-outcome.js';

const { Pending, Queued, Running, WaitingForHuman, Succeeded, Failed, Skipped, Cancelled } = NodeStatus;

describe('deriveRunOutcome', () => {
  it('is succeeded when every node succeeded', () => {
    expect(deriveRunOutcome([Succeeded, Succeeded, Succeeded])).toBe('succeeded');
  });

  it('is failed as soon as any node failed, even while others still run', () => {
    expect(deriveRunOutcome([Succeeded, Failed, Succeeded])).toBe('failed');
    expect(deriveRunOutcome([Running, Failed, Pending])).toBe('failed');
    expect(deriveRunOutcome([Failed, Skipped, Skipped])).toBe('failed');
  });

  it.each([Pending, Queued, Running, WaitingForHuman])('is null while a node is %s', (status) => {
    expect(deriveRunOutcome([Succeeded, status])).toBeNull();
  });

  it('is null for skipped or cancelled nodes without a failure: the caller decides cancellation', () => {
    expect(deriveRunOutcome([Succeeded, Skipped])).toBeNull();
    expect(deriveRunOutcome([Succeeded, Cancelled])).toBeNull();
  });

  it('accepts a record of statuses by node id', () => {
    expect(deriveRunOutcome({ fetch: Succeeded, submit: Succeeded })).toBe('succeeded');
    expect(deriveRunOutcome({ fetch: Succeeded, submit: Failed })).toBe('failed');
    expect(deriveRunOutcome({ fetch: Succeeded, submit: Running })).toBeNull();
  });

  it('accepts any iterable, e.g. a Map of statuses', () => {
    expect(deriveRunOutcome(new Map([['a', Succeeded]]).values())).toBe('succeeded');
  });
});
