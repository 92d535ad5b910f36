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
      tenant: 'default',
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

  it('names the parent of a child run and each child its workflow nodes started (SPEC §11)', () => {
    const lines = renderRun({
      id: 'c1',
      tenant: 'default',
      status: 'running',
      workflow: { name: 'research', version: 1 },
      agentId: null,
      userId: 'u',
      input: {},
      error: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      parentRunId: 'p1',
      rootRunId: 'p1',
      depth: 1,
      children: [{ id: 'g1', nodeId: 'deeper', workflow: { name: 'leaf', version: 3 }, status: 'waiting_for_human' }],
      nodes: [node('deeper', 'waiting_for_human')],
    });
    expect(lines.slice(2)).toEqual(['  parent p1  depth 1', '  ↳ deeper  child g1  leaf v3  waiting_for_human']);
  });
});
