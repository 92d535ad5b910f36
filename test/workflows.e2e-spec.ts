import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, startApi, type RunningApi } from './support/api.js';
import { testConfig } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { definition, expenseApproval, httpNode } from './support/workflows.js';

const WRITE = 'baton:workflows:write';

describe('workflow definitions API (SPEC §3, §7)', () => {
  let auth: DevAuth;
  let api: RunningApi;
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    auth = await DevAuth.start();
    api = await startApi(testConfig({ issuer: auth.issuer }));
    writer = await auth.mintToken('author', [WRITE]);
    reader = await auth.mintToken('reader', ['openid']);
  });
  afterAll(async () => {
    await api?.close();
    await auth?.close();
  });

  const post = (body: unknown) => call(`${api.url}/v1/workflows`, { token: writer, body });

  function expectProblems(response: Awaited<ReturnType<typeof call>>, status: number, paths: string[]): void {
    expect(response.status).toBe(status);
    expect(response.contentType).toContain('application/problem+json');
    expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(paths));
  }

  it('stores the SPEC sample as version 1, and a second POST as version 2 with version 1 unchanged', async () => {
    const first = await post(expenseApproval('http://127.0.0.1:5000', 'versioned'));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'versioned', version: 1, agentId: 'expense-agent' });
    expect(first.body.nodes).toHaveLength(3);

    const changed = expenseApproval('http://127.0.0.1:5000', 'versioned');
    changed.description = 'second';
    const second = await post(changed);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ name: 'versioned', version: 2, description: 'second' });

    const v1 = await call(`${api.url}/v1/workflows/versioned/versions/1`, { token: reader });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ version: 1, description: 'Fetch a report, ask a manager, submit it' });
    const latest = await call(`${api.url}/v1/workflows/versioned`, { token: reader });
    expect(latest.body).toMatchObject({ version: 2, description: 'second' });
    expect((await call(`${api.url}/v1/workflows/versioned/versions/3`, { token: reader })).status).toBe(404);
    expect((await call(`${api.url}/v1/workflows/no-such-flow`, { token: reader })).status).toBe(404);
    expect((await call(`${api.url}/v1/workflows/versioned/versions/abc`, { token: reader })).status).toBe(400);
  });

  it('lists the latest version of each workflow with keyset pagination', async () => {
    for (const name of ['page-a', 'page-b', 'page-c'])
      expect((await post(definition(name, [httpNode('n', 'http://127.0.0.1/x')]))).status).toBe(201);
    await post(definition('page-b', [httpNode('n', 'http://127.0.0.1/y')]));
    const seen: { name: string; version: number }[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof call>> = await call(
        `${api.url}/v1/workflows?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: reader },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(
        ...page.body.items.map((w: { name: string; version: number }) => ({ name: w.name, version: w.version })),
      );
      cursor = page.body.nextCursor;
    } while (cursor);
    const names = seen.map((w) => w.name);
    expect(new Set(names).size).toBe(names.length); // no duplicates
    expect(names).toEqual([...names].sort());
    expect(seen).toEqual(
      expect.arrayContaining([
        { name: 'page-b', version: 2 },
        { name: 'page-a', version: 1 },
      ]),
    );
  });

  it.each([['limit=0'], ['limit=201'], ['limit=abc'], ['cursor=%%%'], ['cursor=bm90LWpzb24'], ['colour=blue']])(
    'answers 400 for a bad list query (%s)',
    async (query) => {
      const response = await call(`${api.url}/v1/workflows?${query}`, { token: reader });
      expect(response.status).toBe(400);
      expect(response.contentType).toContain('application/problem+json');
    },
  );

  it('answers 400 for a bad name, listing the path', async () => {
    expectProblems(await post(definition('Bad_Name', [httpNode('n', 'http://127.0.0.1/x')])), 400, ['$.name']);
  });

  it('answers 400 for malformed JSON and 413 for a 2 MiB body, and stores nothing', async () => {
    const malformed = await call(`${api.url}/v1/workflows`, { token: writer, rawBody: '{"name": "broken",' });
    expect(malformed.status).toBe(400);
    expect(malformed.contentType).toContain('application/problem+json');

    const huge = definition('huge-flow', [httpNode('n', 'http://127.0.0.1/x')], {
      description: 'x'.repeat(2 * 1024 * 1024),
    });
    const tooLarge = await post(huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.contentType).toContain('application/problem+json');
    expect((await call(`${api.url}/v1/workflows/huge-flow`, { token: reader })).status).toBe(404);
    expect((await call(`${api.url}/v1/workflows/broken`, { token: reader })).status).toBe(404);
  });

  it('answers 400 for a non-object body and for shape errors, listing every one', async () => {
    expect((await call(`${api.url}/v1/workflows`, { token: writer, rawBody: '[1,2]' })).status).toBe(400);
    const response = await post({
      name: 'shape',
      nodes: [
        { id: 'a', type: 'http' },
        { id: 'B!', type: 'teleport' },
      ],
      colour: 'blue',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.length).toBeGreaterThanOrEqual(3);
  });

  describe('meaning problems answer 422 with each path', () => {
    it('workflow nodes (SPEC §11): oauth required, the child must exist, a pinned version too; a workflow may name itself', async () => {
      const sub = (id: string, workflow: Record<string, unknown>, oauth?: Record<string, unknown>) =>
        ({ id, type: 'workflow', workflow, ...(oauth && { oauth }) }) as unknown as ReturnType<typeof httpNode>;
      const ceiling = { requiredScopes: ['expenses:read'] };
      expect((await post(definition('sub-child', [httpNode('a', 'http://127.0.0.1/x')]))).status).toBe(201);
      expectProblems(await post(definition('sub-bad', [sub('a', { name: 'sub-child' })])), 422, ['$.nodes[0].oauth']);
      expectProblems(await post(definition('sub-bad', [sub('a', { name: 'sub-nowhere' }, ceiling)])), 422, [
        '$.nodes[0].workflow.name',
      ]);
      expectProblems(await post(definition('sub-bad', [sub('a', { name: 'sub-child', version: 2 }, ceiling)])), 422, [
        '$.nodes[0].workflow.version',
      ]);
      const self = await post(definition('sub-self', [sub('a', { name: 'sub-self' }, ceiling)]));
      expect(self.status).toBe(201);
      const pinned = await post(definition('sub-parent', [sub('a', { name: 'sub-child', version: 1 }, ceiling)]));
      expect(pinned.status).toBe(201);
    });

    it('unknown profile', async () => {
      const body = definition('bad-profile', [
        httpNode('a', 'http://127.0.0.1/x', { oauth: { profile: 'nope', requiredScopes: ['x'] } }),
      ]);
      expectProblems(await post(body), 422, ['$.nodes[0].oauth.profile']);
    });

    it('a cycle', async () => {
      const body = definition('cycle', [
        httpNode('a', 'http://127.0.0.1/a', { dependsOn: ['c'] }),
        httpNode('b', 'http://127.0.0.1/b', { dependsOn: ['a'] }),
        httpNode('c', 'http://127.0.0.1/c', { dependsOn: ['b'] }),
      ]);
      const response = await post(body);
      expect(response.status).toBe(422);
      expect(JSON.stringify(response.body.errors)).toMatch(/cycle/i);
    });

    it('unknown dependsOn', async () => {
      expectProblems(
        await post(definition('unknown-dep', [httpNode('a', 'http://127.0.0.1/a', { dependsOn: ['ghost'] })])),
        422,
        ['$.nodes[0].dependsOn[0]'],
      );
    });

    it('a template reference to a node that is not an ancestor', async () => {
      const body = definition('bad-ref', [
        httpNode('a', 'http://127.0.0.1/a'),
        httpNode('b', 'http://127.0.0.1/b'),
        httpNode('c', 'http://127.0.0.1/c/{{nodes.b.output.body.id}}', {
          dependsOn: ['a'],
          request: { method: 'POST', url: 'http://127.0.0.1/c', body: { total: '{{nodes.b.output.body.total}}' } },
        }),
      ]);
      expectProblems(await post(body), 422, ['$.nodes[2].request.body.total']);
    });

    it('a host not in http.allowedHosts', async () => {
      expectProblems(await post(definition('bad-host', [httpNode('a', 'https://evil.test/steal')])), 422, [
        '$.nodes[0].request.url',
      ]);
    });

    it('a duplicate node id', async () => {
      expectProblems(
        await post(definition('dupe', [httpNode('a', 'http://127.0.0.1/a'), httpNode('a', 'http://127.0.0.1/b')])),
        422,
        ['$.nodes[1].id'],
      );
    });

    it('lists several problems at once and stores nothing', async () => {
      const body = definition('many-problems', [
        httpNode('a', 'https://evil.test/x', { dependsOn: ['ghost'] }),
        httpNode('a', 'http://127.0.0.1/b'),
      ]);
      expectProblems(await post(body), 422, ['$.nodes[0].request.url', '$.nodes[0].dependsOn[0]', '$.nodes[1].id']);
      expect((await call(`${api.url}/v1/workflows/many-problems`, { token: reader })).status).toBe(404);
    });
  });
});
