import { describe, expect, it } from '@jest/globals';
import { effectiveNodes, type WorkflowDefinition, type WorkflowNode } from '../domain/index.js';
import { revokedNodePause } from './revoked-node-pause.js';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const why = { eventType: SESSION_REVOKED, jti: 'jti-1', at: '2026-12-04T20:00:00.000Z' };
const run = {
  runId: 'r1',
  workflow: 'w',
  agentId: 'agent',
  userId: 'alice',
  issuer: 'https://idp.example.com',
  userScopes: ['a:read', 'b:read'],
};
const node = (fields: Record<string, unknown>) => {
  const definition = {
    name: 'w',
    defaults: { oauth: { profile: 'corp' } },
    nodes: [
      { id: 'n', type: 'http', request: { method: 'GET', url: 'http://127.0.0.1/x' }, ...fields } as WorkflowNode,
    ],
  } as WorkflowDefinition;
  return effectiveNodes(definition)[0]!;
};

describe('revokedNodePause', () => {
  it('writes what the executor writes for a revoked subject token: scope.narrowed, token.revoked, a token_revoked escalation', () => {
    const pause = revokedNodePause(
      run,
      node({ oauth: { requiredScopes: ['a:read'], optionalScopes: ['b:read', 'c:read'], audience: 'https://api' } }),
      {},
      why,
    );
    expect(pause).toEqual({
      grantedScopes: ['a:read', 'b:read'],
      audits: [
        expect.objectContaining({
          operation: 'scope.narrowed',
          runId: 'r1',
          nodeId: 'n',
          userId: 'alice',
          success: true,
          scopes: ['a:read', 'b:read'],
          target: 'https://api',
          details: { required: ['a:read'], optional: ['b:read', 'c:read'], scopeSource: 'token' },
        }),
        expect.objectContaining({
          operation: 'token.revoked',
          nodeId: 'n',
          success: false,
          scopes: ['a:read', 'b:read'],
          target: 'https://api',
          error: 'security_event',
          details: { eventType: SESSION_REVOKED, jti: 'jti-1' },
        }),
      ],
      escalation: {
        reason: 'token_revoked',
        detail: `the user's token was revoked by a security event (${SESSION_REVOKED})`,
      },
    });
  });

  it('targets the resource when there is no audience, and asks for every declared scope with scopeSource authorization-server', () => {
    const pause = revokedNodePause(
      run,
      node({ oauth: { requiredScopes: ['x:write'], resource: 'https://res' } }),
      { scopeSource: 'authorization-server' },
      why,
    );
    expect(pause?.grantedScopes).toEqual(['x:write']);
    expect(pause?.audits[1]).toMatchObject({ target: 'https://res' });
    expect(pause?.audits[0]?.details).toMatchObject({ scopeSource: 'authorization-server' });
  });

  it('leaves to the worker a node that would end otherwise: no token needed, no such profile, a missing required scope', () => {
    expect(revokedNodePause(run, node({}), {}, why)).toBeNull();
    expect(revokedNodePause(run, undefined, {}, why)).toBeNull();
    const approval = effectiveNodes({
      name: 'w',
      nodes: [{ id: 'ok', type: 'approval', approval: { prompt: 'go?' } } as WorkflowNode],
    })[0];
    expect(revokedNodePause(run, approval, {}, why)).toBeNull();
    expect(revokedNodePause(run, node({ oauth: { requiredScopes: ['a:read'] } }), undefined, why)).toBeNull();
    expect(revokedNodePause(run, node({ oauth: { requiredScopes: ['z:admin'] } }), {}, why)).toBeNull();
  });
});
