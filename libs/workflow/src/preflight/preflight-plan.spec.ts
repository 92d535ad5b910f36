import { describe, expect, it } from '@jest/globals';
import { effectiveNodes, type WorkflowDefinition } from '../domain/index.js';
import { applyProbeAnswer, isReady, planPreflight, PREFLIGHT_VERDICTS, type PreflightNode } from './preflight-plan.js';

const definition: WorkflowDefinition = {
  name: 'wf',
  defaults: { oauth: { profile: 'corp' } },
  nodes: [
    { id: 'a', type: 'http', oauth: { requiredScopes: ['r'], audience: 'X' }, request: { method: 'GET', url: 'u' } },
    { id: 'b', type: 'http', oauth: { requiredScopes: ['r'], audience: 'X' }, request: { method: 'GET', url: 'u' } },
    {
      id: 'c',
      type: 'http',
      oauth: { requiredScopes: ['r'], optionalScopes: ['o', 'p'], audience: 'X' },
      request: { method: 'GET', url: 'u' },
    },
    {
      id: 'd',
      type: 'http',
      oauth: { requiredScopes: ['r'], resource: 'https://r' },
      request: { method: 'GET', url: 'u' },
    },
    { id: 'e', type: 'handler', handler: 'h', oauth: { requiredScopes: ['w'] } },
    { id: 'f', type: 'handler', handler: 'h' },
    { id: 'g', type: 'approval', approval: { prompt: 'p' } },
  ],
};
const nodes = effectiveNodes(definition);
const byId = (list: PreflightNode[]) => Object.fromEntries(list.map((n) => [n.id, n]));

describe('planPreflight', () => {
  it('gives approval, no_token, ok and insufficient_scope verdicts and narrows as the engine does', () => {
    const plan = byId(planPreflight(nodes, ['r', 'o', 'unrelated'], () => undefined).nodes);
    expect(plan.a).toMatchObject({ verdict: 'ok', granted: ['r'], missing: [], profile: 'corp', audience: 'X' });
    expect(plan.c).toMatchObject({ verdict: 'ok', granted: ['r', 'o'], optionalScopes: ['o', 'p'] });
    expect(plan.d).toMatchObject({ verdict: 'ok', audience: null, resource: 'https://r' });
    expect(plan.e).toMatchObject({ verdict: 'insufficient_scope', granted: ['w'], missing: ['w'] });
    expect(plan.f).toMatchObject({ verdict: 'no_token', profile: null, granted: [] });
    expect(plan.g).toMatchObject({ verdict: 'approval', type: 'approval' });
  });

  it('plans one exchange per distinct (profile, audience, resource, granted) among the ok nodes', () => {
    const { exchanges } = planPreflight(nodes, ['r', 'o'], () => undefined);
    expect(exchanges).toEqual([
      { profile: 'corp', audience: 'X', scopes: ['r'], nodeIds: ['a', 'b'] },
      { profile: 'corp', audience: 'X', scopes: ['r', 'o'], nodeIds: ['c'] },
      { profile: 'corp', resource: 'https://r', scopes: ['r'], nodeIds: ['d'] },
    ]);
  });

  it('scopeSource authorization-server requests every declared scope and misses nothing', () => {
    const plan = byId(planPreflight(nodes, [], () => 'authorization-server').nodes);
    expect(plan.c).toMatchObject({ verdict: 'ok', granted: ['r', 'o', 'p'], missing: [] });
    expect(plan.e).toMatchObject({ verdict: 'ok' });
  });
});

describe('applyProbeAnswer (the engine exchange-failure table)', () => {
  const base = byId(planPreflight(nodes, ['r', 'o'], () => undefined).nodes).c!;
  const failure = (code: string, oauthError?: string) => ({
    ok: false as const,
    failure: { code: code as never, message: 'm', ...(oauthError && { oauthError }) },
  });

  it('keeps ok when every required scope came back', () => {
    expect(applyProbeAnswer(base, { ok: true, scopes: ['r'] })).toBe(base);
  });

  it('insufficient_scope when the server left out a required scope, which joins missing', () => {
    expect(applyProbeAnswer(base, { ok: true, scopes: ['o'] })).toMatchObject({
      verdict: 'insufficient_scope',
      missing: ['r'],
    });
  });

  it.each([
    ['revoked', 'token_revoked'],
    ['token_expired', 'token_revoked'],
    ['consent_required', 'consent_required'],
    ['insufficient_scope', 'insufficient_scope'],
    ['transient', 'exchange_failed'],
    ['fatal', 'exchange_failed'],
    ['exchange_refused', 'exchange_failed'],
    ['scope_escalation', 'exchange_failed'],
  ])('a %s failure is %s', (code, verdict) => {
    expect(applyProbeAnswer(base, failure(code)).verdict).toBe(verdict);
  });
});

describe('isReady', () => {
  it.each(PREFLIGHT_VERDICTS)('verdict %s', (verdict) => {
    expect(isReady([{ verdict }], [])).toBe(['ok', 'no_token', 'approval'].includes(verdict));
  });

  it('is false with an input problem whatever the verdicts', () => {
    expect(isReady([{ verdict: 'ok' }], [{ path: '$.input.x', message: 'is required' }])).toBe(false);
    expect(isReady([], [])).toBe(true);
  });
});

describe('planPreflight: workflow nodes cover their child (SPEC §11, §12.2)', () => {
  const parent = effectiveNodes({
    name: 'parent',
    defaults: { oauth: { profile: 'corp' } },
    nodes: [
      {
        id: 'research',
        type: 'workflow',
        oauth: { requiredScopes: ['docs:read'], optionalScopes: ['web:search'] },
        workflow: { name: 'child' },
      },
    ],
  });
  const child = (requiredScopes: string[]) =>
    effectiveNodes({
      name: 'child',
      nodes: [
        { id: 'x', type: 'http', oauth: { profile: 'corp', requiredScopes }, request: { method: 'GET', url: 'u' } },
      ],
    });
  const plan = (user: string[], childNodes: ReturnType<typeof child>, maxDepth = 3) =>
    planPreflight(parent, user, () => undefined, { childOf: () => childNodes, maxDepth }).nodes[0]!;

  it('ok when the child stays within the ceiling and the caller holds what it needs', () => {
    expect(plan(['docs:read'], child(['docs:read']))).toMatchObject({ verdict: 'ok', granted: ['docs:read'] });
  });
  it('delegation_exceeded when a child node requires a scope outside the ceiling, however broad the caller', () => {
    expect(plan(['docs:read', 'admin'], child(['admin']))).toMatchObject({
      verdict: 'delegation_exceeded',
      missing: ['admin'],
    });
  });
  it('insufficient_scope on the workflow node when the caller lacks a required ceiling scope', () => {
    expect(plan(['web:search'], child(['web:search']))).toMatchObject({
      verdict: 'insufficient_scope',
      missing: ['docs:read'],
    });
  });
  it("the child's worst verdict: an optional ceiling scope the caller lacks, required inside the child", () => {
    expect(plan(['docs:read'], child(['web:search'])).verdict).toBe('insufficient_scope');
  });
  it('delegation_exceeded at maxDelegationDepth', () => {
    expect(plan(['docs:read'], child(['docs:read']), 0).verdict).toBe('delegation_exceeded');
  });
});
