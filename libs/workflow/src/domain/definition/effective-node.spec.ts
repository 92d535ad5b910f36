import { describe, expect, it } from '@jest/globals';
import type { WorkflowDefinition, WorkflowNode } from './definition.schema.js';
import {
  DEFAULT_RETRY_POLICY,
  DEFAULT_TIMEOUT_MS,
  effectiveNodes,
  mergeNodeOAuth,
  resolveNode,
} from './effective-node.js';

const http = (id: string, fields: Record<string, unknown> = {}): WorkflowNode =>
  ({ id, type: 'http', request: { method: 'GET', url: 'http://127.0.0.1/x' }, ...fields }) as WorkflowNode;
const approval = (id: string, fields: Record<string, unknown> = {}): WorkflowNode =>
  ({ id, type: 'approval', approval: { prompt: 'ok?' }, ...fields }) as WorkflowNode;
const handler = (id: string, fields: Record<string, unknown> = {}): WorkflowNode =>
  ({ id, type: 'handler', handler: 'crm.createLead', ...fields }) as WorkflowNode;

describe('effectiveNodes', () => {
  it('applies the built-in defaults: retry 3 × 500 ms, timeout 30 s, no dependencies, no oauth', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 3, backoffMs: 500 });
    expect(DEFAULT_TIMEOUT_MS).toBe(30000);
    const [node] = effectiveNodes({ name: 'w', nodes: [http('a')] });
    expect(node).toEqual({
      id: 'a',
      type: 'http',
      request: { method: 'GET', url: 'http://127.0.0.1/x' },
      dependsOn: [],
      retry: { maxAttempts: 3, backoffMs: 500 },
      timeoutMs: 30000,
    });
    expect(node).not.toHaveProperty('oauth');
  });

  it('applies definition defaults, and node fields over them', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      defaults: { retry: { maxAttempts: 5, backoffMs: 1000 }, timeoutMs: 10000 },
      nodes: [
        handler('a'),
        handler('b', { retry: { maxAttempts: 1, backoffMs: 0 }, timeoutMs: 200, dependsOn: ['a'] }),
      ],
    };
    const [a, b] = effectiveNodes(definition);
    expect(a).toMatchObject({ retry: { maxAttempts: 5, backoffMs: 1000 }, timeoutMs: 10000, dependsOn: [] });
    expect(b).toMatchObject({ retry: { maxAttempts: 1, backoffMs: 0 }, timeoutMs: 200, dependsOn: ['a'] });
  });

  it('merges a partial retry policy key by key: node, then defaults, then built-in', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      defaults: { retry: { backoffMs: 2000 } },
      nodes: [handler('a', { retry: { maxAttempts: 7 } }), handler('b')],
    };
    const [a, b] = effectiveNodes(definition);
    expect(a!.retry).toEqual({ maxAttempts: 7, backoffMs: 2000 });
    expect(b!.retry).toEqual({ maxAttempts: 3, backoffMs: 2000 });
  });

  it('merges a node’s oauth key by key over defaults.oauth', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      defaults: { oauth: { profile: 'corp', audience: 'https://default.example.com', optionalScopes: ['d:opt'] } },
      nodes: [
        http('fetch', { oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' } }),
        http('other', {
          oauth: { profile: 'partner', requiredScopes: ['x'], optionalScopes: [], resource: 'https://api.partner.io' },
        }),
      ],
    };
    const [fetch, other] = effectiveNodes(definition);
    expect(fetch!.oauth).toEqual({
      profile: 'corp',
      requiredScopes: ['expenses:read'],
      optionalScopes: ['d:opt'],
      audience: 'https://expenses.example.com',
    });
    expect(other!.oauth).toEqual({
      profile: 'partner',
      requiredScopes: ['x'],
      optionalScopes: [],
      audience: 'https://default.example.com',
      resource: 'https://api.partner.io',
    });
  });

  it('gives no token to a node that does not declare oauth, whatever defaults.oauth says', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      defaults: { oauth: { profile: 'corp', requiredScopes: ['s'] } },
      nodes: [http('plain'), handler('h')],
    };
    for (const node of effectiveNodes(definition)) expect(node).not.toHaveProperty('oauth');
  });

  it('gives no token to an approval node, even one that declares oauth', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      defaults: { oauth: { profile: 'corp', requiredScopes: ['s'] } },
      nodes: [approval('ask', { oauth: { requiredScopes: ['s'] } })],
    };
    expect(effectiveNodes(definition)[0]).not.toHaveProperty('oauth');
  });

  it('gives an empty optionalScopes list when none are set', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      nodes: [http('a', { oauth: { profile: 'corp', requiredScopes: ['s'] } })],
    };
    expect(effectiveNodes(definition)[0]!.oauth).toEqual({
      profile: 'corp',
      requiredScopes: ['s'],
      optionalScopes: [],
    });
  });

  it('refuses a definition whose oauth has not been validated', () => {
    expect(() => effectiveNodes({ name: 'w', nodes: [http('a', { oauth: { requiredScopes: ['s'] } })] })).toThrow(
      /node "a".*validate/,
    );
    expect(() =>
      effectiveNodes({ name: 'w', nodes: [http('a', { oauth: { profile: 'corp', requiredScopes: [] } })] }),
    ).toThrow(/node "a"/);
  });

  it('keeps type-specific fields', () => {
    const [h] = effectiveNodes({ name: 'w', nodes: [handler('h', { input: { a: '{{input.a}}' } })] });
    expect(h).toMatchObject({ type: 'handler', handler: 'crm.createLead', input: { a: '{{input.a}}' } });
  });

  it('does not modify the definition', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      defaults: { oauth: { profile: 'corp' } },
      nodes: [http('a', { oauth: { requiredScopes: ['s'] } })],
    };
    const before = structuredClone(definition);
    effectiveNodes(definition);
    expect(definition).toEqual(before);
  });
});

describe('resolveNode', () => {
  const definition: WorkflowDefinition = { name: 'w', defaults: { timeoutMs: 5 }, nodes: [handler('a'), handler('b')] };

  it('resolves one node by id', () => {
    expect(resolveNode(definition, 'b')).toMatchObject({ id: 'b', timeoutMs: 5 });
  });

  it('is undefined for an unknown id', () => {
    expect(resolveNode(definition, 'zz')).toBeUndefined();
  });
});

describe('mergeNodeOAuth', () => {
  it('returns the partial merge the validator checks', () => {
    const definition: WorkflowDefinition = {
      name: 'w',
      defaults: { oauth: { audience: 'x' } },
      nodes: [http('a', { oauth: {} })],
    };
    expect(mergeNodeOAuth(definition, definition.nodes[0]!)).toEqual({ audience: 'x' });
    expect(mergeNodeOAuth(definition, http('b'))).toBeUndefined();
  });
});
