import { describe, expect, it } from '@jest/globals';
import { renderRun } from './dag-view.js';

const node = (id: string, status: string, extra: Record<string, unknown> = {}) =>
  ({
    id,
    type: 'http',
    status,
    attempts: 1,
    grantedScopes: null,
    startedAt: null,
    finishedAt: null,
    output: null,
    error: null,
    ...extra,
  }) as never;

describe('renderRun', () => {
  it('shows the run, then each node with its status, attempts, scopes or error', () => {
    const lines = renderRun({
      id: 'r1',
      status: 'failed',
      workflow: { name: 'wf', version: 2 },
      agentId: null,
      userId: 'u',
      input: {},
      error: { code: 'node_failed', message: 'submit failed' },
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      parentRunId: null,
      rootRunId: 'r1',
      depth: 0,
      children: [],
      nodes: [
        node('fetch', 'succeeded', { grantedScopes: ['a:read', 'b'] }),
        node('submit', 'failed', { attempts: 3, error: { code: 'http_status', message: '400' } }),
        node('notify', 'skipped'),
      ],
    });
    expect(lines).toEqual([
      'run r1  wf v2  failed  (node_failed: submit failed)',
      '  ✔ fetch   succeeded  scopes a:read b',
      '  ✖ submit  failed ×3  http_status: 400',
      '  – notify  skipped',
    ]);
  });
});
