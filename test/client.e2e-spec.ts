import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { createBatonClient, type BatonClient } from '@baton/client';
import { RunStack } from './support/run-stack.js';
import { definition } from './support/workflows.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');

describe('the typed client (SPEC §15), generated from the OpenAPI document', () => {
  let stack: RunStack;
  let client: BatonClient;

  beforeAll(async () => {
    stack = await RunStack.start();
    stack.resource.on('GET', '/typed', { status: 200, body: { ok: true } });
    await stack.register(
      definition('typed-client', [
        {
          id: 'fetch',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], audience: 'https://a.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/typed` },
        },
      ]),
    );
    const token = await stack.auth.mintToken('typed-user', ['items:read']);
    client = createBatonClient({ baseUrl: stack.api.url, token });
  });
  afterAll(() => stack?.close());

  it('is not stale: libs/client/openapi.json is the document the API serves, and schema.ts is generated from it', async () => {
    const served = await (await fetch(`${stack.api.url}/docs-json`)).json();
    expect(JSON.parse(readFileSync(resolve(ROOT, 'libs/client/openapi.json'), 'utf8'))).toEqual(served);
    const check = await run(process.execPath, [resolve(ROOT, 'scripts/generate-client.mjs'), '--check'], {
      cwd: ROOT,
    }).catch((e) => e);
    expect(check.stderr).toBe('');
    expect(check.code ?? 0).toBe(0);
  }, 60_000);

  it('starts, lists (with filters) and reads runs with typed answers', async () => {
    const started = await client.POST('/v1/workflows/{name}/runs', {
      params: { path: { name: 'typed-client' } },
      body: { input: {} },
    });
    expect(started.response.status).toBe(202);
    expect(started.response.headers.get('location')).toBe(`/v1/runs/${started.data!.id}`);
    const id = started.data!.id;
    await stack.waitForRun(id, await stack.auth.mintToken('typed-user', ['items:read']), ['succeeded']);

    const detail = await client.GET('/v1/runs/{id}', { params: { path: { id } } });
    expect(detail.data!.status).toBe('succeeded');
    expect(detail.data!.nodes.map((n) => [n.id, n.status, n.grantedScopes])).toEqual([
      ['fetch', 'succeeded', ['items:read']],
    ]);

    const listed = await client.GET('/v1/runs', {
      params: { query: { status: 'succeeded', workflow: 'typed-client', limit: 1 } },
    });
    expect(listed.data!.items.map((r) => r.id)).toEqual([id]);
    const none = await client.GET('/v1/runs', { params: { query: { status: 'failed', workflow: 'typed-client' } } });
    expect(none.data).toEqual({ items: [], nextCursor: null });
  });

  it('answers problems as typed errors', async () => {
    const missing = await client.GET('/v1/runs/{id}', {
      params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ status: 404, title: expect.any(String) });
    const bad = await client.GET('/v1/escalations', { params: { query: { status: 'nope' as 'open' } } });
    expect(bad.response.status).toBe(400);
  });
});
