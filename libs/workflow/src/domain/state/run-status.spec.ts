import { describe, expect, it } from '@jest/globals';
import {
  RUN_STATUSES,
  RunStatus,
  TERMINAL_RUN_STATUSES,
  allowedFromRun,
  canTransitionRun,
  isTerminalRunStatus,
} from './run-status.js';

const { Pending, Running, WaitingForHuman, Succeeded, Failed, Cancelled } = RunStatus;

/** Every allowed edge, spelled out once so that the whole table is checked both ways. */
const ALLOWED: ReadonlyArray<[RunStatus, RunStatus]> = [
  [Pending, Running],
  [Pending, Cancelled],
  [Pending, Failed],
  [Running, WaitingForHuman],
  [Running, Succeeded],
  [Running, Failed],
  [Running, Cancelled],
  [WaitingForHuman, Running],
  [WaitingForHuman, Succeeded],
  [WaitingForHuman, Failed],
  [WaitingForHuman, Cancelled],
];

describe('RunStatus', () => {
  it('has exactly the SPEC §4 values', () => {
    expect([...RUN_STATUSES].sort()).toEqual(
      ['cancelled', 'failed', 'pending', 'running', 'succeeded', 'waiting_for_human'].sort(),
    );
  });

  it('treats succeeded, failed and cancelled as terminal', () => {
    expect([...TERMINAL_RUN_STATUSES].sort()).toEqual(['cancelled', 'failed', 'succeeded']);
    expect(RUN_STATUSES.filter(isTerminalRunStatus).sort()).toEqual(['cancelled', 'failed', 'succeeded']);
  });
});

describe('canTransitionRun', () => {
  it.each(RUN_STATUSES.flatMap((from) => RUN_STATUSES.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
    const expected = ALLOWED.some(([f, t]) => f === from && t === to);
    expect(canTransitionRun(from, to)).toBe(expected);
  });

  it('never leaves a terminal state', () => {
    for (const from of TERMINAL_RUN_STATUSES)
      for (const to of RUN_STATUSES) expect(canTransitionRun(from, to)).toBe(false);
  });
});

describe('allowedFromRun', () => {
  it('lists the states a guarded UPDATE may move from', () => {
    expect([...allowedFromRun(Running)].sort()).toEqual([Pending, WaitingForHuman].sort());
    expect(allowedFromRun(WaitingForHuman)).toEqual([Running]);
    expect([...allowedFromRun(Succeeded)].sort()).toEqual([Running, WaitingForHuman].sort());
    expect([...allowedFromRun(Failed)].sort()).toEqual([Pending, Running, WaitingForHuman].sort());
    expect([...allowedFromRun(Cancelled)].sort()).toEqual([Pending, Running, WaitingForHuman].sort());
    expect(allowedFromRun(Pending)).toEqual([]);
  });

  it('agrees with canTransitionRun for every pair', () => {
    for (const to of RUN_STATUSES) {
      expect([...allowedFromRun(to)].sort()).toEqual(RUN_STATUSES.filter((from) => canTransitionRun(from, to)).sort());
    }
  });
});
