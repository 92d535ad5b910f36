import { transitionTable } from './transition-table.js';

/** Run states (SPEC §4). */
export const RunStatus = {
  Pending: 'pending',
  Running: 'running',
  WaitingForHuman: 'waiting_for_human',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const RUN_STATUSES: readonly RunStatus[] = Object.values(RunStatus);

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled];

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

const { Pending, Running, WaitingForHuman, Succeeded, Failed, Cancelled } = RunStatus;

/**
 * A pending run may fail before it starts (e.g. its first nodes cannot be enqueued) or be
 * cancelled; a waiting run may finish directly, e.g. when the approval it waits on was the last node.
 */
const runTransitions = transitionTable<RunStatus>({
  [Pending]: [Running, Cancelled, Failed],
  [Running]: [WaitingForHuman, Succeeded, Failed, Cancelled],
  [WaitingForHuman]: [Running, Succeeded, Failed, Cancelled],
  [Succeeded]: [],
  [Failed]: [],
  [Cancelled]: [],
});

/** Which current run states may move to `next`. */
export function allowedFromRun(next: RunStatus): readonly RunStatus[] {
  return runTransitions.allowedFrom(next);
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return runTransitions.canTransition(from, to);
}
