import { describe, expect, it } from '@jest/globals';
import { RUN_STATUSES, RunStatus } from '../state/run-status.js';
import { childRunResult } from './child-run-result.js';

describe('childRunResult', () => {
  const id = '9b1d3c1e-6a7f-5b2e-8c4d-0f1e2d3c4b5a';

  it.each([RunStatus.Pending, RunStatus.Running, RunStatus.WaitingForHuman])(
    'leaves the parent node running while the child is %s',
    (status) => {
      expect(childRunResult({ id, status, outputs: {} })).toEqual({ kind: 'running' });
    },
  );

  it('gives the parent node the child id, status and every node output when the child succeeded', () => {
    const outputs = { search: { status: 200, body: { hits: 3 } }, ok: { approved: true } };
    expect(childRunResult({ id, status: RunStatus.Succeeded, outputs })).toEqual({
      kind: 'succeeded',
      output: { runId: id, status: 'succeeded', outputs },
    });
  });

  it.each([RunStatus.Failed, RunStatus.Cancelled])(
    'fails the parent node child_run_failed, naming the child, when it is %s',
    (status) => {
      expect(childRunResult({ id, status, outputs: {} })).toEqual({
        kind: 'failed',
        error: { code: 'child_run_failed', message: `child run ${id} ${status}`, childRunId: id },
      });
    },
  );

  it('covers every run status', () => {
    for (const status of RUN_STATUSES)
      expect(childRunResult({ id, status, outputs: {} }).kind).toMatch(/running|succeeded|failed/);
  });
});
