import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../problem.js';
import type { WorkflowDefinition, WorkflowNode } from './definition.schema.js';
import { type MeaningContext, validateDefinitionMeaning } from './validate-meaning.js';

const context: MeaningContext = {
  profiles: ['corp', 'partner'],
  allowedHosts: ['127.0.0.1', 'localhost', '*.example.com'],
  audienceOrigins: { '*': ['http://127.0.0.1', 'http://localhost', 'http://*.example.com', 'https://*.example.com'] },
};

const http = (id: string, fields: Partial<WorkflowNode> & Record<string, unknown> = {}): WorkflowNode =>
  ({ id, type: 'http', request: { method: 'GET', url: 'http://127.0.0.1:5000/x' }, ...fields }) as WorkflowNode;
const approval = (id: string, fields: Record<string, unknown> = {}): WorkflowNode =>
  ({ id, type: 'approval', approval: { prompt: 'ok?' }, ...fields }) as WorkflowNode;
const handler = (id: string, fields: Record<string, unknown> = {}): WorkflowNode =>
  ({ id, type: 'handler', handler: 'crm.createLead', ...fields }) as WorkflowNode;
const workflow = (nodes: WorkflowNode[], extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition => ({
  name: 'w',
  nodes,
  ...extra,
});

function specExample(): WorkflowDefinition {
  return workflow(
    [
      http('fetch', {
        oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
        request: { method: 'GET', url: 'http://127.0.0.1:5000/reports/{{input.reportId}}' },
      }),
      approval('approve', {
        dependsOn: ['fetch'],
        approval: { prompt: 'Submit report {{input.reportId}} for {{nodes.fetch.output.body.total}}?' },
      }),
      http('submit', {
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
      }),
    ],
    { defaults: { oauth: { profile: 'corp' }, retry: { maxAttempts: 3, backoffMs: 500 }, timeoutMs: 30000 } },
  );
}

const check = (definition: WorkflowDefinition, ctx: MeaningContext = context): Problem[] =>
  validateDefinitionMeaning(definition, ctx);
const paths = (problems: Problem[]) => problems.map((problem) => problem.path);

describe('validateDefinitionMeaning: valid definitions', () => {
  it('accepts the SPEC §3 example', () => {
    expect(check(specExample())).toEqual([]);
  });

  it('accepts parallel branches and a diamond', () => {
    const definition = workflow([
      handler('a'),
      handler('b', { dependsOn: ['a'] }),
      handler('c', { dependsOn: ['a'] }),
      handler('d', {
        dependsOn: ['b', 'c'],
        input: { b: '{{nodes.b.output}}', c: '{{nodes.c.output}}', a: '{{nodes.a.output}}' },
      }),
    ]);
    expect(check(definition)).toEqual([]);
  });
});

describe('validateDefinitionMeaning: ids and dependencies', () => {
  it('reports each duplicate id after the first', () => {
    const problems = check(workflow([handler('a'), handler('b'), handler('a'), handler('a')]));
    expect(problems).toEqual([
      { path: '$.nodes[2].id', message: 'duplicates the id "a" of $.nodes[0]' },
      { path: '$.nodes[3].id', message: 'duplicates the id "a" of $.nodes[0]' },
    ]);
  });

  it('reports an unknown dependency at its dependsOn entry', () => {
    expect(check(workflow([handler('a'), handler('b', { dependsOn: ['a', 'ghost'] })]))).toEqual([
      { path: '$.nodes[1].dependsOn[1]', message: 'unknown node "ghost"' },
    ]);
  });

  it('reports a node depending on itself (a cycle of length 1)', () => {
    expect(check(workflow([handler('x'), handler('a', { dependsOn: ['x', 'a'] })]))).toEqual([
      { path: '$.nodes[1].dependsOn[1]', message: 'node "a" depends on itself (cycle a -> a)' },
    ]);
  });

  it('reports a cycle of length 2 at the first node on it', () => {
    expect(check(workflow([handler('a', { dependsOn: ['b'] }), handler('b', { dependsOn: ['a'] })]))).toEqual([
      { path: '$.nodes[0].dependsOn[0]', message: 'dependency cycle a -> b -> a' },
    ]);
  });

  it('reports a cycle of length 3 at the dependsOn entry that leads around it', () => {
    const definition = workflow([
      handler('root'),
      handler('a', { dependsOn: ['root', 'c'] }),
      handler('b', { dependsOn: ['a'] }),
      handler('c', { dependsOn: ['b'] }),
    ]);
    expect(check(definition)).toEqual([
      { path: '$.nodes[1].dependsOn[1]', message: 'dependency cycle a -> c -> b -> a' },
    ]);
  });

  it('reports every separate cycle', () => {
    const definition = workflow([
      handler('a', { dependsOn: ['b'] }),
      handler('b', { dependsOn: ['a'] }),
      handler('c', { dependsOn: ['d'] }),
      handler('d', { dependsOn: ['c'] }),
    ]);
    expect(check(definition)).toEqual([
      { path: '$.nodes[0].dependsOn[0]', message: 'dependency cycle a -> b -> a' },
      { path: '$.nodes[2].dependsOn[0]', message: 'dependency cycle c -> d -> c' },
    ]);
  });
});

describe('validateDefinitionMeaning: oauth', () => {
  it('reports an unknown profile on a node', () => {
    expect(check(workflow([http('a', { oauth: { profile: 'nope', requiredScopes: ['s'] } })]))).toEqual([
      { path: '$.nodes[0].oauth.profile', message: 'unknown exchange profile "nope" (known: corp, partner)' },
    ]);
  });

  it('reports an unknown default profile once, where it is written', () => {
    const definition = workflow(
      [http('a', { oauth: { requiredScopes: ['s'] } }), http('b', { oauth: { requiredScopes: ['t'] } })],
      {
        defaults: { oauth: { profile: 'nope' } },
      },
    );
    expect(check(definition)).toEqual([
      { path: '$.defaults.oauth.profile', message: 'unknown exchange profile "nope" (known: corp, partner)' },
    ]);
  });

  it('says when no profile is configured at all', () => {
    expect(
      check(workflow([http('a', { oauth: { profile: 'corp', requiredScopes: ['s'] } })]), { ...context, profiles: [] }),
    ).toEqual([
      { path: '$.nodes[0].oauth.profile', message: 'unknown exchange profile "corp" (known: none are configured)' },
    ]);
  });

  it('accepts a node overriding the default profile with another known one', () => {
    const definition = workflow([http('a', { oauth: { profile: 'partner', requiredScopes: ['s'] } })], {
      defaults: { oauth: { profile: 'corp' } },
    });
    expect(check(definition)).toEqual([]);
  });

  it('reports oauth without a profile after merging defaults', () => {
    expect(check(workflow([http('a', { oauth: { requiredScopes: ['s'] } })]))).toEqual([
      { path: '$.nodes[0].oauth', message: 'needs a profile, here or in defaults.oauth' },
    ]);
  });

  it('reports missing or empty requiredScopes after merging defaults', () => {
    const definition = workflow([
      http('a', { oauth: { profile: 'corp' } }),
      handler('b', { oauth: { profile: 'corp', requiredScopes: [] } }),
    ]);
    expect(check(definition)).toEqual([
      { path: '$.nodes[0].oauth.requiredScopes', message: 'must list at least one scope, here or in defaults.oauth' },
      { path: '$.nodes[1].oauth.requiredScopes', message: 'must list at least one scope, here or in defaults.oauth' },
    ]);
  });

  it('lets defaults.oauth supply requiredScopes and the profile', () => {
    const definition = workflow([http('a', { oauth: { audience: 'x' } })], {
      defaults: { oauth: { profile: 'corp', requiredScopes: ['s'] } },
    });
    expect(check(definition)).toEqual([]);
  });

  it('lets a node empty the default requiredScopes, which is then reported', () => {
    const definition = workflow([http('a', { oauth: { requiredScopes: [] } })], {
      defaults: { oauth: { profile: 'corp', requiredScopes: ['s'] } },
    });
    expect(paths(check(definition))).toEqual(['$.nodes[0].oauth.requiredScopes']);
  });

  it('does not ask anything of nodes without oauth, even when defaults.oauth is incomplete', () => {
    expect(check(workflow([http('a'), handler('b')], { defaults: { oauth: { audience: 'x' } } }))).toEqual([]);
  });

  it('reports oauth on an approval node', () => {
    expect(check(workflow([approval('a', { oauth: { profile: 'corp', requiredScopes: ['s'] } })]))).toEqual([
      { path: '$.nodes[0].oauth', message: 'approval nodes call nothing and take no oauth' },
    ]);
  });
});

describe('validateDefinitionMeaning: template references', () => {
  it('always allows input references', () => {
    expect(
      check(workflow([handler('a', { input: { x: '{{input}}', y: '{{ input.a.b.0 }}', z: 'a {{input.q}}' } })])),
    ).toEqual([]);
  });

  it('reports a reference to a node that is not a dependency, at the exact string path', () => {
    const definition = specExample();
    (definition.nodes[2] as { dependsOn: string[] }).dependsOn = [];
    (definition.nodes[1] as { dependsOn: string[] }).dependsOn = [];
    expect(check(definition)).toEqual([
      {
        path: '$.nodes[1].approval.prompt',
        message:
          '{{nodes.fetch.output.body.total}}: "approve" does not depend on "fetch" (add it to dependsOn, directly or through another node)',
      },
      {
        path: '$.nodes[2].request.body.total',
        message:
          '{{nodes.fetch.output.body.total}}: "submit" does not depend on "fetch" (add it to dependsOn, directly or through another node)',
      },
    ]);
  });

  it('accepts a transitive dependency (the SPEC example: submit -> approve -> fetch)', () => {
    expect(paths(check(specExample()))).toEqual([]);
  });

  it('reports a reference to a sibling or a descendant', () => {
    const definition = workflow([
      handler('a'),
      handler('b', { dependsOn: ['a'], input: '{{nodes.c.output}}' }),
      handler('c', { dependsOn: ['a'] }),
      handler('root', { input: { x: '{{nodes.a.output}}' } }),
    ]);
    expect(paths(check(definition))).toEqual(['$.nodes[1].input', '$.nodes[3].input.x']);
  });

  it('reports a reference to the node itself and to an unknown node', () => {
    const definition = workflow([
      handler('a', { input: { self: '{{nodes.a.output.x}}', ghost: ['ok', '{{nodes.ghost.output}}'] } }),
    ]);
    expect(check(definition)).toEqual([
      { path: '$.nodes[0].input.self', message: '{{nodes.a.output.x}}: a node cannot use its own output' },
      { path: '$.nodes[0].input.ghost[1]', message: '{{nodes.ghost.output}}: unknown node "ghost"' },
    ]);
  });

  it('checks every rendered part of an http request', () => {
    const definition = workflow([
      http('a'),
      http('b', {
        request: {
          method: 'POST',
          url: 'http://127.0.0.1/{{nodes.x.output.id}}',
          headers: { 'x-trace': '{{nodes.y.output.t}}' },
          query: { page: '{{nodes.z.output.p}}' },
          body: { nested: [{ deep: 'id {{nodes.w.output.id}}' }] },
        },
      }),
    ]);
    expect(paths(check(definition))).toEqual([
      '$.nodes[1].request.url',
      '$.nodes[1].request.headers.x-trace',
      '$.nodes[1].request.query.page',
      '$.nodes[1].request.body.nested[0].deep',
    ]);
  });

  it('reports malformed templates at their path', () => {
    const definition = workflow([
      approval('a', { approval: { prompt: 'Hi {{ user.name }}' } }),
      handler('b', { input: { x: ['{{input.a', '{{nodes.a.status}}'] } }),
      http('c', { request: { method: 'GET', url: 'http://127.0.0.1/{{input..x}}' } }),
    ]);
    const problems = check(definition);
    expect(paths(problems)).toEqual([
      '$.nodes[0].approval.prompt',
      '$.nodes[1].input.x[0]',
      '$.nodes[1].input.x[1]',
      '$.nodes[2].request.url',
    ]);
    expect(problems[0]!.message).toBe(
      '"{{ user.name }}" is not a template: use {{input.<path>}} or {{nodes.<id>.output.<path>}}',
    );
    expect(problems[1]!.message).toContain('never closed');
  });

  it('does not look for templates in fields that are never rendered', () => {
    const definition = workflow([
      http('a', { oauth: { profile: 'corp', requiredScopes: ['s'], audience: '{{nodes.zz.output}}' } }),
    ]);
    expect(check(definition)).toEqual([]);
  });
});

describe('validateDefinitionMeaning: http urls', () => {
  const withUrl = (url: string) => workflow([http('a', { request: { method: 'GET', url } })]);
  const urlProblems = (url: string, ctx: MeaningContext = context) => check(withUrl(url), ctx);

  it.each([
    'http://127.0.0.1:5000/reports',
    'https://LOCALHOST/x',
    'http://localhost',
    'https://api.example.com/v1?q={{input.q}}#{{input.f}}',
    'https://a.b.c.example.com:8443/',
    'HTTPS://API.EXAMPLE.COM/',
    'http://0x7f.0.0.1/',
  ])('accepts %s', (url) => {
    expect(urlProblems(url)).toEqual([]);
  });

  it.each([
    ['http://example.com/', 'host "example.com" is not in http.allowedHosts'],
    ['http://evil-example.com/', 'host "evil-example.com" is not in http.allowedHosts'],
    ['http://example.com.evil.net/', 'host "example.com.evil.net" is not in http.allowedHosts'],
    ['http://127.0.0.2/', 'host "127.0.0.2" is not in http.allowedHosts'],
    ['http://[::1]/', 'host "[::1]" is not in http.allowedHosts'],
    ['ftp://127.0.0.1/', 'must use http or https, not ftp'],
    ['file:///etc/passwd', 'must use http or https, not file'],
    ['javascript:alert(1)', 'must be an absolute http or https URL'],
    ['/relative/path', 'must be an absolute http or https URL'],
    ['{{input.url}}', 'must be an absolute http or https URL'],
    ['http://{{input.host}}/x', 'host must be literal: templates may appear only in the path, query and fragment'],
    [
      'http://api{{input.n}}.example.com/x',
      'host must be literal: templates may appear only in the path, query and fragment',
    ],
    [
      'http://127.0.0.1:{{input.port}}/x',
      'host must be literal: templates may appear only in the path, query and fragment',
    ],
    ['http://user:pw@127.0.0.1/', 'must not carry credentials before the host'],
    ['http://127.0.0.1@evil.net/', 'must not carry credentials before the host'],
    ['http://127.0.0.1:99999/', 'has an invalid host "127.0.0.1:99999"'],
    ['http:///path', 'has no host'],
    ['http:////evil.net/', 'has no host'],
    ['http:/127.0.0.1/', 'must be an absolute http or https URL'],
  ])('reports %s at the url path', (url, message) => {
    const problems = urlProblems(url);
    expect(problems.find((p) => p.message === message)).toEqual({ path: '$.nodes[0].request.url', message });
  });

  it('reports a host template only once, as a host problem', () => {
    expect(urlProblems('http://{{input.host}}/x')).toHaveLength(1);
  });

  it('splits the host where a URL parser does, so a backslash cannot smuggle a host past the check', () => {
    expect(urlProblems('http://evil.net\\@127.0.0.1/')).toEqual([
      { path: '$.nodes[0].request.url', message: 'host "evil.net" is not in http.allowedHosts' },
    ]);
  });

  it('allows an IPv6 literal that is listed', () => {
    expect(urlProblems('http://[::1]:8080/x', { ...context, allowedHosts: ['::1'] })).toEqual([]);
  });

  it('rejects every host when none are allowed', () => {
    expect(paths(urlProblems('http://127.0.0.1/', { ...context, allowedHosts: [] }))).toEqual([
      '$.nodes[0].request.url',
    ]);
  });
});

describe('validateDefinitionMeaning: inputSchema and handlers', () => {
  it('accepts an input schema that compiles', () => {
    const inputSchema = {
      type: 'object',
      required: ['reportId'],
      properties: { reportId: { type: 'string', format: 'uuid' } },
    };
    expect(check(workflow([handler('a')], { inputSchema }))).toEqual([]);
  });

  it('reports an input schema that does not compile at $.inputSchema', () => {
    const problems = check(workflow([handler('a')], { inputSchema: { type: 'objekt' } }));
    expect(paths(problems)).toEqual(['$.inputSchema']);
    expect(problems[0]!.message).toMatch(/^is not a valid JSON Schema: /);
  });

  it('reports an unregistered handler when the registered names are given', () => {
    const definition = workflow([handler('a'), handler('b', { handler: 'crm.deleteEverything' })]);
    expect(check(definition, { ...context, handlers: ['crm.createLead'] })).toEqual([
      { path: '$.nodes[1].handler', message: 'no handler named "crm.deleteEverything" is registered' },
    ]);
    expect(check(definition)).toEqual([]);
  });
});

describe('validateDefinitionMeaning: everything at once', () => {
  it('lists every problem of a definition with many', () => {
    const definition = workflow(
      [
        http('a', {
          dependsOn: ['c'],
          oauth: { profile: 'nope' },
          request: { method: 'GET', url: 'http://evil.net/{{nodes.b.output}}' },
        }),
        approval('b', { dependsOn: ['b'], approval: { prompt: '{{ bad }}' } }),
        handler('c', { dependsOn: ['a', 'ghost'], handler: 'x.y' }),
        handler('a'),
      ],
      { inputSchema: { required: 'nope' }, defaults: { oauth: { profile: 'missing' } } },
    );
    expect(paths(check(definition, { ...context, handlers: [] }))).toEqual([
      '$.inputSchema',
      '$.defaults.oauth.profile',
      '$.nodes[3].id',
      '$.nodes[1].dependsOn[0]',
      '$.nodes[2].dependsOn[1]',
      '$.nodes[0].dependsOn[0]',
      '$.nodes[0].oauth.profile',
      '$.nodes[0].oauth.requiredScopes',
      '$.nodes[0].request.url',
      '$.nodes[0].request.url',
      '$.nodes[1].approval.prompt',
      '$.nodes[2].handler',
      '$.nodes[3].handler',
    ]);
  });
});

describe('validateDefinitionMeaning: profiles that never send resource (keycloak, SPEC §9.1)', () => {
  const keycloak: MeaningContext = { ...context, profilesWithoutResource: ['partner'] };

  it('refuses oauth.resource on a node of such a profile, naming the path', () => {
    const definition = workflow([
      http('a', {
        oauth: { profile: 'partner', requiredScopes: ['x'], audience: 'svc', resource: 'https://svc.example.com' },
      }),
    ]);
    expect(validateDefinitionMeaning(definition, keycloak)).toEqual([
      { path: '$.nodes[0].oauth.resource', message: expect.stringContaining('keycloak') },
    ]);
  });

  it('accepts the same node with audience only, and resource on other profiles', () => {
    expect(
      validateDefinitionMeaning(
        workflow([http('a', { oauth: { profile: 'partner', requiredScopes: ['x'], audience: 'svc' } })]),
        keycloak,
      ),
    ).toEqual([]);
    expect(
      validateDefinitionMeaning(
        workflow([
          http('a', { oauth: { profile: 'corp', requiredScopes: ['x'], resource: 'https://svc.example.com' } }),
        ]),
        keycloak,
      ),
    ).toEqual([]);
  });

  it('sees a resource inherited from defaults.oauth', () => {
    const definition = workflow([http('a', { oauth: { requiredScopes: ['x'] } })], {
      defaults: { oauth: { profile: 'partner', resource: 'https://svc.example.com' } },
    });
    expect(validateDefinitionMeaning(definition, keycloak).map((p) => p.path)).toEqual(['$.nodes[0].oauth.resource']);
  });
});

describe('validateDefinitionMeaning: issue 10 boundaries', () => {
  const baton = { audience: 'baton-api', scopes: ['baton:workflows:write', 'baton:runs:read_all'] };
  const node = (oauth: Record<string, unknown>, url = 'http://127.0.0.1:5000/x') => ({
    id: 'a',
    type: 'http' as const,
    oauth: { profile: 'corp', requiredScopes: ['s'], ...oauth },
    request: { method: 'GET' as const, url },
  });
  const def = (nodes: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'w', nodes, ...extra }) as never;

  it("item 1: refuses Baton's own audience, resource and API scopes, each at its path", () => {
    const problems = validateDefinitionMeaning(
      def([
        node({
          audience: 'baton-api',
          resource: 'baton-api',
          requiredScopes: ['s', 'baton:runs:read_all'],
          optionalScopes: ['baton:workflows:write'],
        }),
      ]),
      { ...context, baton },
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        '$.nodes[0].oauth.audience',
        '$.nodes[0].oauth.resource',
        '$.nodes[0].oauth.requiredScopes[1]',
        '$.nodes[0].oauth.optionalScopes[0]',
      ]),
    );
    expect(
      validateDefinitionMeaning(
        def([node({ audience: 'https://x.example.com' }, 'https://x.example.com/')], {
          defaults: { oauth: { audience: 'baton-api' } },
        }),
        { ...context, baton },
      ).map((p) => p.path),
    ).toEqual(['$.defaults.oauth.audience']);
    expect(
      validateDefinitionMeaning(def([node({ audience: 'https://x.example.com' }, 'https://x.example.com/')]), {
        ...context,
        baton,
      }),
    ).toEqual([]);
  });

  it('item 2: refuses a URL whose origin is not bound to the audience; binds a URL audience to its own origin by default', () => {
    const unbound = { ...context, audienceOrigins: undefined };
    expect(
      validateDefinitionMeaning(
        def([node({ audience: 'https://x.example.com' }, 'https://x.example.com/r/{{input.id}}')]),
        unbound,
      ),
    ).toEqual([]);
    expect(
      validateDefinitionMeaning(def([node({ audience: 'https://x.example.com' }, 'http://127.0.0.1:5000/')]), unbound),
    ).toEqual([
      {
        path: '$.nodes[0].request.url',
        message: expect.stringContaining('not bound to audience "https://x.example.com"'),
      },
    ]);
    expect(validateDefinitionMeaning(def([node({ resource: 'urn:crm' })]), unbound).map((p) => p.path)).toEqual([
      '$.nodes[0].request.url',
    ]);
    expect(
      validateDefinitionMeaning(def([node({ resource: 'urn:crm' })]), {
        ...unbound,
        audienceOrigins: { 'urn:crm': ['http://127.0.0.1:5000'] },
      }),
    ).toEqual([]);
  });

  it('item 2: allowedHosts is port-aware at definition time', () => {
    const ported = { ...context, allowedHosts: ['127.0.0.1:5000'] };
    expect(
      validateDefinitionMeaning(
        def([{ id: 'a', type: 'http', request: { method: 'GET', url: 'http://127.0.0.1:5000/' } }]),
        ported,
      ),
    ).toEqual([]);
    expect(
      validateDefinitionMeaning(
        def([{ id: 'a', type: 'http', request: { method: 'GET', url: 'http://127.0.0.1:5001/' } }]),
        ported,
      ),
    ).toEqual([
      { path: '$.nodes[0].request.url', message: 'host "127.0.0.1" is not in http.allowedHosts for port 5001' },
    ]);
  });
});

describe('validateDefinitionMeaning: workflow nodes (SPEC §11)', () => {
  const sub = (fields: Record<string, unknown> = {}): WorkflowNode =>
    ({
      id: 'research',
      type: 'workflow',
      oauth: { profile: 'corp', requiredScopes: ['docs:read'], optionalScopes: ['web:search'] },
      workflow: { name: 'web-research' },
      ...fields,
    }) as WorkflowNode;
  const withWorkflows = (versions: Record<string, number>): MeaningContext => ({
    ...context,
    workflowVersions: new Map(Object.entries(versions)),
  });

  it('accepts a node naming an existing workflow, latest or a pinned existing version, with templated input', () => {
    const ctx = withWorkflows({ 'web-research': 2 });
    expect(check(workflow([sub()]), ctx)).toEqual([]);
    expect(check(workflow([sub({ workflow: { name: 'web-research', version: 2 } })]), ctx)).toEqual([]);
    expect(
      check(workflow([sub({ workflow: { name: 'web-research', input: { topic: '{{input.topic}}' } } })]), ctx),
    ).toEqual([]);
  });

  it('needs oauth with non-empty requiredScopes', () => {
    const ctx = withWorkflows({ 'web-research': 1 });
    expect(paths(check(workflow([sub({ oauth: undefined })]), ctx))).toEqual(['$.nodes[0].oauth']);
    expect(paths(check(workflow([sub({ oauth: { profile: 'corp', requiredScopes: [] } })]), ctx))).toEqual([
      '$.nodes[0].oauth.requiredScopes',
    ]);
  });

  it('an unknown workflow name or a version that does not exist is a problem at its path', () => {
    const ctx = withWorkflows({ 'web-research': 2 });
    expect(check(workflow([sub({ workflow: { name: 'nowhere' } })]), ctx)).toEqual([
      { path: '$.nodes[0].workflow.name', message: 'no workflow named "nowhere"' },
    ]);
    expect(check(workflow([sub({ workflow: { name: 'web-research', version: 3 } })]), ctx)).toEqual([
      { path: '$.nodes[0].workflow.version', message: 'workflow "web-research" has no version 3 (latest: 2)' },
    ]);
  });

  it('a workflow may name itself before it exists, pinned to at most the version being posted', () => {
    const ctx = withWorkflows({});
    expect(check(workflow([sub({ workflow: { name: 'w' } })]), ctx)).toEqual([]);
    expect(check(workflow([sub({ workflow: { name: 'w', version: 1 } })]), ctx)).toEqual([]);
    expect(paths(check(workflow([sub({ workflow: { name: 'w', version: 2 } })]), ctx))).toEqual([
      '$.nodes[0].workflow.version',
    ]);
  });

  it('templates in workflow.input may only name nodes the node depends on', () => {
    const ctx = withWorkflows({ 'web-research': 1 });
    const problems = check(
      workflow([http('plan'), sub({ workflow: { name: 'web-research', input: { t: '{{nodes.plan.output.body}}' } } })]),
      ctx,
    );
    expect(paths(problems)).toEqual(['$.nodes[1].workflow.input.t']);
  });

  it('without a workflow lookup child names are not checked', () => {
    expect(check(workflow([sub({ workflow: { name: 'nowhere' } })]))).toEqual([]);
  });
});
