import { describe, expect, it } from '@jest/globals';
import { preflightLines } from './preflight-view.js';

describe('preflightLines', () => {
  it('prints the summary, each input problem and each node with its verdict and scopes', () => {
    expect(
      preflightLines({
        workflow: { name: 'wf', version: 2 },
        ready: false,
        subjectToken: { expiresAt: '2026-12-02T10:00:00.000Z' },
        problems: [{ path: '$.input.reportId', message: 'is required' }],
        nodes: [
          { id: 'fetch', type: 'http', verdict: 'ok', granted: ['a:read'], missing: [] },
          { id: 'submit', type: 'http', verdict: 'insufficient_scope', granted: ['a:write'], missing: ['a:write'] },
          { id: 'ok', type: 'approval', verdict: 'approval', granted: [], missing: [] },
        ],
      }),
    ).toEqual([
      'wf version 2: not ready (token expires 2026-12-02T10:00:00.000Z)',
      'problem\t$.input.reportId\tis required',
      'fetch\thttp\tok\tgranted a:read',
      'submit\thttp\tinsufficient_scope\tmissing a:write',
      'ok\tapproval\tapproval',
    ]);
  });

  it('says ready when it is', () => {
    expect(
      preflightLines({
        workflow: { name: 'wf', version: 1 },
        ready: true,
        subjectToken: { expiresAt: 'x' },
        problems: [],
        nodes: [],
      }),
    ).toEqual(['wf version 1: ready (token expires x)']);
  });
});
