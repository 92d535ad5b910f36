import { describe, expect, it } from '@jest/globals';
import { applyRunEvent, auditLine, type RunDetail } from './live-view.js';

const node = (id: string, status: string) => ({
  id,
  type: 'http',
  status,
  attempts: 1,
  grantedScopes: null,
  startedAt: null,
  finishedAt: null,
  output: null,
  error: null,
});
const run = {
  id: 'r1',
  status: 'running',
  workflow: { name: 'w', version: 1 },
  agentId: null,
  userId: 'u',
  input: {},
  error: null,
  createdAt: '2026-12-03T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  nodes: [node('a', 'running'), node('b', 'pending')],
} as unknown as RunDetail;

describe('applyRunEvent', () => {
  it('takes the snapshot, then replaces a node, then the run fields (keeping the nodes)', () => {
    const snap = applyRunEvent(null, { event: 'snapshot', data: run })!;
    expect(snap).toBe(run);
    const afterNode = applyRunEvent(snap, { event: 'node', data: node('a', 'succeeded') })!;
    expect(afterNode.nodes.map((n) => n.status)).toEqual(['succeeded', 'pending']);
    const { nodes: _nodes, ...fields } = run;
    const afterRun = applyRunEvent(afterNode, { event: 'run', data: { ...fields, status: 'succeeded' } })!;
    expect(afterRun.status).toBe('succeeded');
    expect(afterRun.nodes).toBe(afterNode.nodes);
  });

  it('answers the same run for audit and escalation events, and nothing before a snapshot', () => {
    expect(applyRunEvent(run, { event: 'audit', data: {} })).toBe(run);
    expect(applyRunEvent(run, { event: 'escalation', data: {} })).toBe(run);
    expect(applyRunEvent(null, { event: 'node', data: node('a', 'x') })).toBeNull();
  });
});

describe('auditLine', () => {
  it('shows time, operation, outcome, where, who and what', () => {
    expect(
      auditLine({
        id: '1',
        at: '2026-12-03T00:00:00.000Z',
        tenant: 'default',
        operation: 'token.exchanged',
        runId: 'r1',
        nodeId: 'fetch',
        workflow: 'w',
        agentId: null,
        userId: 'alice',
        issuer: 'https://idp',
        scopes: ['a:read'],
        target: 'https://a',
        success: false,
        error: 'invalid_grant',
        details: null,
      }),
    ).toBe('2026-12-03T00:00:00.000Z  token.exchanged  FAILED  w r1 fetch  user alice  invalid_grant');
  });
});
