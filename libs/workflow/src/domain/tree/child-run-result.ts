import { NodeErrorCode } from '../constants.js';
import { RunStatus, isTerminalRunStatus } from '../state/run-status.js';

/** What a child run's state means for the `workflow` node that started it (SPEC §11). */
export type ChildRunResult =
  | { readonly kind: 'running' }
  | {
      readonly kind: 'succeeded';
      readonly output: { runId: string; status: RunStatus; outputs: Record<string, unknown> };
    }
  | { readonly kind: 'failed'; readonly error: { code: string; message: string; childRunId: string } };

/**
 * A child that succeeded gives its parent node `{runId, status, outputs: {<childNodeId>: <output>}}`;
 * one that failed or was cancelled fails it `child_run_failed` naming the child (not retried); one
 * not over leaves it running. The tree trigger of migration 1733300000000 applies the same rule in
 * SQL when the child ends; this is the worker's, for an attempt executed again that finds its child.
 */
export function childRunResult(child: {
  id: string;
  status: RunStatus;
  outputs: Record<string, unknown>;
}): ChildRunResult {
  if (!isTerminalRunStatus(child.status)) return { kind: 'running' };
  if (child.status === RunStatus.Succeeded)
    return { kind: 'succeeded', output: { runId: child.id, status: child.status, outputs: child.outputs } };
  return {
    kind: 'failed',
    error: {
      code: NodeErrorCode.ChildRunFailed,
      message: `child run ${child.id} ${child.status}`,
      childRunId: child.id,
    },
  };
}
