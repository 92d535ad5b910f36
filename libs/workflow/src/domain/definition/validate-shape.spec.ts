import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../problem.js';
import { validateDefinitionShape } from './validate-shape.js';

/** The SPEC §3 example, built fresh for each test so tests can change it freely. */
function specExample(): Record<string, any> {
  return {
    name: 'expense-approval',
    description: 'Fetch a report, ask a manager, submit it',
    agentId: 'expense-agent',
    defaults: { oauth: { profile: 'corp' }, retry: { maxAttempts: 3, backoffMs: 500 }, timeoutMs: 30000 },
    nodes: [
      {
        id: 'fetch',
        type: 'http',
        oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
        request: { method: 'GET', url: 'http://127.0.0.1:5000/reports/{{input.reportId}}' },
      },
      {
        id: 'approve',
        type: 'approval',
        dependsOn: ['fetch'],
        approval: { prompt: 'Submit report {{input.reportId}} for {{nodes.fetch.output.body.total}}?' },
      },
      {
        id: 'submit',
        type: 'http',
        dependsOn: ['approve'],
        oauth: {
          requiredScopes: ['expenses:write'],
          optionalScopes: ['expenses:notify'],
          audience: 'https://expenses.example.com',
        },
        request: {
          method: 'POST',
          url: 'http://127.0.0.1:5000/reports/{{input.reportId}}/submit',
          headers: { 'content-type': 'application/json' },
          body: { total: '{{nodes.fetch.output.body.total}}' },
        },
      },
    ],
  };
}

const handlerNode = (overrides: Record<string, unknown> = {}) => ({
  id: 'lead',
  type: 'handler',
  handler: 'crm.createLead',
  ...overrides,
});
const minimal = (...nodes: unknown[]) => ({ name: 'w', nodes });

function problemsOf(body: unknown): Problem[] {
  const result = validateDefinitionShape(body);
  if (result.ok) throw new Error('expected shape problems');
  return result.problems;
}

function expectProblem(body: unknown, path: string, message?: string | RegExp): void {
  const problems = problemsOf(body);
  const atPath = problems.filter((problem) => problem.path === path);
  expect(atPath.map((p) => p.path)).toEqual([path]);
  if (message !== undefined) expect(atPath[0]!.message).toMatch(message);
}

describe('validateDefinitionShape: accepted definitions', () => {
  it('accepts the SPEC §3 example and returns it unchanged', () => {
    const result = validateDefinitionShape(specExample());
    expect(result).toEqual({ ok: true, value: specExample() });
  });

  it('accepts a minimal definition of one node of each type', () => {
    expect(validateDefinitionShape(minimal({ id: 'a', type: 'approval', approval: { prompt: 'ok?' } })).ok).toBe(true);
    expect(validateDefinitionShape(minimal(handlerNode())).ok).toBe(true);
    expect(
      validateDefinitionShape(
        minimal({ id: 'h', type: 'http', request: { method: 'HEAD', url: 'https://x.example.com' } }),
      ).ok,
    ).toBe(true);
  });

  it('accepts every HTTP method, query strings, any JSON body and handler input', () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) {
      const node = {
        id: 'h',
        type: 'http',
        request: { method, url: 'http://h/', query: { q: '{{input.q}}' }, body: [1, 'a', null, { b: true }] },
      };
      expect(validateDefinitionShape(minimal(node)).ok).toBe(true);
    }
    expect(validateDefinitionShape(minimal(handlerNode({ input: { deep: [{ x: null }] } }))).ok).toBe(true);
    expect(validateDefinitionShape(minimal(handlerNode({ input: 'just a string' }))).ok).toBe(true);
  });

  it('accepts partial retry policies and an empty requiredScopes (a meaning problem, not a shape one)', () => {
    const node = handlerNode({ retry: { maxAttempts: 5 }, oauth: { requiredScopes: [] } });
    expect(validateDefinitionShape({ ...minimal(node), defaults: { retry: { backoffMs: 0 } } }).ok).toBe(true);
  });

  it('accepts limits at their edges', () => {
    const nodes = Array.from({ length: 100 }, (_, i) =>
      handlerNode({ id: `n${i}`, retry: { maxAttempts: 20, backoffMs: 600000 }, timeoutMs: 600000 }),
    );
    expect(validateDefinitionShape({ name: 'a'.repeat(64), agentId: 'x'.repeat(128), nodes }).ok).toBe(true);
    expect(
      validateDefinitionShape(
        minimal(handlerNode({ id: 'a'.repeat(64), handler: `H${'x'.repeat(127)}`, timeoutMs: 1 })),
      ).ok,
    ).toBe(true);
  });

  it('accepts an inputSchema object (its meaning is checked later)', () => {
    expect(validateDefinitionShape({ ...minimal(handlerNode()), inputSchema: { type: 'object' } }).ok).toBe(true);
  });
});

describe('validateDefinitionShape: the body', () => {
  it.each([[null], [[]], ['workflow'], [42], [undefined]])('rejects %j at $', (body) => {
    expect(problemsOf(body)).toEqual([{ path: '$', message: 'must be an object' }]);
  });

  it('names missing required fields', () => {
    expect(problemsOf({})).toEqual([
      { path: '$.name', message: 'is required' },
      { path: '$.nodes', message: 'is required' },
    ]);
  });

  it('rejects unknown keys at every level, one problem per key', () => {
    const body = specExample();
    body.colour = 'blue';
    body.defaults.extra = 1;
    body.defaults.oauth.scope = 'x';
    body.nodes[0].foo = 1;
    body.nodes[0].bar = 2;
    body.nodes[1].approval.timeout = 5;
    body.nodes[2].request.json = {};
    const problems = problemsOf(body);
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        '$.colour',
        '$.defaults.extra',
        '$.defaults.oauth.scope',
        '$.nodes[0].foo',
        '$.nodes[0].bar',
        '$.nodes[1].approval.timeout',
        '$.nodes[2].request.json',
      ].sort(),
    );
    expect(new Set(problems.map((p) => p.message))).toEqual(new Set(['is not a known field']));
  });

  it('rejects a field of another node type as unknown', () => {
    expectProblem(
      minimal(handlerNode({ request: { method: 'GET', url: 'http://h/' } })),
      '$.nodes[0].request',
      'is not a known field',
    );
    expectProblem(
      minimal({ id: 'a', type: 'approval', approval: { prompt: 'p' }, handler: 'x' }),
      '$.nodes[0].handler',
      'is not a known field',
    );
  });

  it('lists every problem, not only the first', () => {
    const body = {
      name: 'Bad Name',
      agentId: '',
      nodes: [
        { id: 'Fetch', type: 'http', request: { method: 'get', url: 'http://h/' } },
        { id: 'ok', type: 'teleport' },
        handlerNode({ handler: '1bad', retry: { maxAttempts: 0 } }),
      ],
    };
    expect(problemsOf(body)).toEqual([
      { path: '$.name', message: 'must match ^[a-z0-9][a-z0-9-]{0,63}$' },
      { path: '$.agentId', message: 'must be at least 1 character long' },
      { path: '$.nodes[0].id', message: 'must match ^[a-z0-9][a-z0-9_-]{0,63}$' },
      { path: '$.nodes[0].request.method', message: 'must be one of GET, POST, PUT, PATCH, DELETE, HEAD' },
      { path: '$.nodes[1].type', message: 'must be one of http, approval, handler, workflow' },
      { path: '$.nodes[2].retry.maxAttempts', message: 'must be at least 1' },
      { path: '$.nodes[2].handler', message: 'must match ^[A-Za-z][A-Za-z0-9_.-]{0,127}$' },
    ]);
  });
});

describe('validateDefinitionShape: fields', () => {
  it.each([
    ['', 'must match'],
    ['-lead', 'must match'],
    ['Upper', 'must match'],
    ['under_score', 'must match'],
    ['a'.repeat(65), 'must match'],
    [7, 'must be a string'],
  ])('rejects the name %j', (name, message) => {
    expectProblem({ ...minimal(handlerNode()), name }, '$.name', message);
  });

  it('rejects a description that is not a string, and an agentId over 128 characters', () => {
    expectProblem({ ...minimal(handlerNode()), description: 5 }, '$.description', 'must be a string');
    expectProblem(
      { ...minimal(handlerNode()), agentId: 'x'.repeat(129) },
      '$.agentId',
      'must be at most 128 characters long',
    );
  });

  it('rejects an empty node list and one over 100 nodes', () => {
    expectProblem(minimal(), '$.nodes', 'must have at least 1 item');
    const many = Array.from({ length: 101 }, (_, i) => handlerNode({ id: `n${i}` }));
    expectProblem(minimal(...many), '$.nodes', 'must have at most 100 items');
    expectProblem({ name: 'w', nodes: {} }, '$.nodes', 'must be an array');
  });

  it.each([['_a'], ['A'], ['a.b'], ['a b'], ['a'.repeat(65)], ['']])('rejects the node id %j', (id) => {
    expectProblem(minimal(handlerNode({ id })), '$.nodes[0].id', /^must match/);
  });

  it('requires a node id and type', () => {
    expectProblem(minimal({ type: 'handler', handler: 'x' }), '$.nodes[0].id', 'is required');
    expectProblem(minimal({ id: 'a', handler: 'x' }), '$.nodes[0].type', 'is required');
    expectProblem(minimal('node'), '$.nodes[0]', 'must be an object');
  });

  it('requires the type-specific fields', () => {
    expectProblem(minimal({ id: 'a', type: 'http' }), '$.nodes[0].request', 'is required');
    expectProblem(minimal({ id: 'a', type: 'approval' }), '$.nodes[0].approval', 'is required');
    expectProblem(minimal({ id: 'a', type: 'approval', approval: {} }), '$.nodes[0].approval.prompt', 'is required');
    expectProblem(minimal({ id: 'a', type: 'handler' }), '$.nodes[0].handler', 'is required');
    expectProblem(
      minimal({ id: 'a', type: 'http', request: { url: 'http://h/' } }),
      '$.nodes[0].request.method',
      'is required',
    );
    expectProblem(
      minimal({ id: 'a', type: 'http', request: { method: 'GET' } }),
      '$.nodes[0].request.url',
      'is required',
    );
  });

  it.each([['1lead'], ['crm lead'], ['crm/lead'], [''], [`H${'x'.repeat(128)}`]])(
    'rejects the handler name %j',
    (handler) => {
      expectProblem(minimal(handlerNode({ handler })), '$.nodes[0].handler', /^must match/);
    },
  );

  it('checks dependsOn is an array of strings', () => {
    expectProblem(minimal(handlerNode({ dependsOn: 'a' })), '$.nodes[0].dependsOn', 'must be an array');
    expectProblem(minimal(handlerNode({ dependsOn: ['a', 3] })), '$.nodes[0].dependsOn[1]', 'must be a string');
  });

  it('checks headers and query are string records with valid header names', () => {
    const http = (request: Record<string, unknown>) =>
      minimal({ id: 'h', type: 'http', request: { method: 'GET', url: 'http://h/', ...request } });
    expectProblem(http({ headers: { 'x-count': 3 } }), '$.nodes[0].request.headers.x-count', 'must be a string');
    expectProblem(
      http({ headers: { 'bad header': 'v' } }),
      '$.nodes[0].request.headers["bad header"]',
      'key must be a valid header name',
    );
    expectProblem(http({ headers: ['a'] }), '$.nodes[0].request.headers', 'must be an object');
    expectProblem(http({ query: { page: 2 } }), '$.nodes[0].request.query.page', 'must be a string');
    expectProblem(http({ url: '' }), '$.nodes[0].request.url', 'must not be empty');
    expectProblem(http({ url: 5 }), '$.nodes[0].request.url', 'must be a string');
  });

  it('rejects values in a body or handler input that are not JSON, at their exact path', () => {
    const http = minimal({
      id: 'h',
      type: 'http',
      request: { method: 'POST', url: 'http://h/', body: { a: [1, Number.NaN], b: { c: () => 1 }, d: new Date(0) } },
    });
    expect(problemsOf(http)).toEqual([
      { path: '$.nodes[0].request.body.a[1]', message: 'must be a JSON value' },
      { path: '$.nodes[0].request.body.b.c', message: 'must be a JSON value' },
      { path: '$.nodes[0].request.body.d', message: 'must be a JSON value' },
    ]);
    expectProblem(
      minimal(handlerNode({ input: { x: Number.POSITIVE_INFINITY } })),
      '$.nodes[0].input.x',
      'must be a JSON value',
    );
  });

  it('requires a non-empty approval prompt', () => {
    expectProblem(
      minimal({ id: 'a', type: 'approval', approval: { prompt: '' } }),
      '$.nodes[0].approval.prompt',
      'must not be empty',
    );
  });

  it.each([
    [{ maxAttempts: 0 }, 'maxAttempts', 'must be at least 1'],
    [{ maxAttempts: 21 }, 'maxAttempts', 'must be at most 20'],
    [{ maxAttempts: 2.5 }, 'maxAttempts', 'must be an integer'],
    [{ maxAttempts: '3' }, 'maxAttempts', 'must be a number'],
    [{ backoffMs: -1 }, 'backoffMs', 'must be at least 0'],
    [{ backoffMs: 600001 }, 'backoffMs', 'must be at most 600000'],
  ])('rejects the retry policy %j on a node and in defaults', (retry, key, message) => {
    expectProblem(minimal(handlerNode({ retry })), `$.nodes[0].retry.${key}`, message);
    expectProblem({ ...minimal(handlerNode()), defaults: { retry } }, `$.defaults.retry.${key}`, message);
  });

  it.each([
    [0, 'must be at least 1'],
    [600001, 'must be at most 600000'],
    [1.5, 'must be an integer'],
  ])('rejects timeoutMs %j on a node and in defaults', (timeoutMs, message) => {
    expectProblem(minimal(handlerNode({ timeoutMs })), '$.nodes[0].timeoutMs', message);
    expectProblem({ ...minimal(handlerNode()), defaults: { timeoutMs } }, '$.defaults.timeoutMs', message);
  });

  it('checks oauth fields', () => {
    const withOAuth = (oauth: unknown) => minimal(handlerNode({ oauth }));
    expectProblem(withOAuth({ profile: '' }), '$.nodes[0].oauth.profile', 'must not be empty');
    expectProblem(withOAuth({ requiredScopes: 'a b' }), '$.nodes[0].oauth.requiredScopes', 'must be an array');
    expectProblem(
      withOAuth({ requiredScopes: ['ok', 'two words'] }),
      '$.nodes[0].oauth.requiredScopes[1]',
      /scope name/,
    );
    expectProblem(withOAuth({ optionalScopes: ['q"uote'] }), '$.nodes[0].oauth.optionalScopes[0]', /scope name/);
    expectProblem(withOAuth({ requiredScopes: [''] }), '$.nodes[0].oauth.requiredScopes[0]', /scope name/);
    expectProblem(withOAuth({ audience: '' }), '$.nodes[0].oauth.audience', 'must not be empty');
    expectProblem(withOAuth({ resource: 'not a uri' }), '$.nodes[0].oauth.resource', /absolute URI/);
    expectProblem(
      withOAuth({ resource: 'https://api.example.com/#frag' }),
      '$.nodes[0].oauth.resource',
      /without a fragment/,
    );
    expect(validateDefinitionShape(withOAuth({ resource: 'https://api.example.com/v1', audience: 'urn:x' })).ok).toBe(
      true,
    );
    expectProblem(
      { ...minimal(handlerNode()), defaults: { oauth: { profile: 3 } } },
      '$.defaults.oauth.profile',
      'must be a string',
    );
  });

  it('requires inputSchema to be an object', () => {
    expectProblem({ ...minimal(handlerNode()), inputSchema: true }, '$.inputSchema', 'must be an object');
    expectProblem({ ...minimal(handlerNode()), inputSchema: [] }, '$.inputSchema', 'must be an object');
  });
});
