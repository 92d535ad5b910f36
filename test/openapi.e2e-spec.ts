import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call, startApi, type RunningApi } from './support/api.js';
import { assertKeepsContract } from './support/contract.js';
import { testConfig } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';

const run = promisify(execFile);

describe('the OpenAPI document (/docs-json)', () => {
  let auth: DevAuth;
  let api: RunningApi;
  let document: any;

  beforeAll(async () => {
    auth = await DevAuth.start();
    api = await startApi(testConfig({ issuer: auth.issuer }));
    document = await (await fetch(`${api.url}/docs-json`)).json();
  });
  afterAll(async () => {
    await api?.close();
    await auth?.close();
  });

  const operations = (): [string, string, any][] =>
    Object.entries(document.paths).flatMap(([path, item]: [string, any]) =>
      Object.entries(item).map(([verb, op]) => [path, verb, op] as [string, string, any]),
    );

  const written = (): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'baton-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    return file;
  };

  // swagger-parser loads an ESM dependency through require(), which jest's VM cannot do: plain node can.
  it('is a valid OpenAPI 3 document (swagger-parser, every $ref resolves)', async () => {
    const script =
      "const { default: P } = await import('@apidevtools/swagger-parser'); const api = await P.validate(process.argv[1]); console.log(api.openapi);";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, written()]);
    expect(stdout.trim()).toMatch(/^3\./);
  });

  it('passes redocly lint with no errors', async () => {
    const file = written();
    const result = await run('npx', ['redocly', 'lint', file, '--format', 'json'], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((e) => e);
    const report = JSON.parse(result.stdout);
    const errors = report.problems.filter((p: { severity: string }) => p.severity === 'error');
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 60_000);

  it('names the views as components, with nullable fields and no allOf', () => {
    const schemas = document.components.schemas;
    for (const name of [
      'Run',
      'RunDetail',
      'Node',
      'Escalation',
      'AuditEntry',
      'Problem',
      'RunPage',
      'EscalationPage',
      'AuditEntryPage',
      'Workflow',
      'WorkflowPage',
    ]) {
      expect(schemas[name]).toBeDefined();
    }
    expect(schemas.Run.properties.finishedAt).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    expect(schemas.RunDetail.properties.nodes.items).toEqual({ $ref: '#/components/schemas/Node' });
    expect(schemas.Escalation.properties.action).toMatchObject({
      nullable: true,
      enum: expect.arrayContaining(['resume', 'approve']),
    });
    expect(schemas.RunPage.properties.nextCursor).toMatchObject({ type: 'string', nullable: true });
    expect(JSON.stringify(document)).not.toContain('"allOf"');
  });

  it('gives every operation a unique id a client can use', () => {
    const ids = operations().map(([, , op]) => op.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'listRuns',
        'startRun',
        'getRun',
        'cancelRun',
        'listEscalations',
        'resolveEscalation',
        'listAuditEntries',
        'createWorkflow',
      ]),
    );
  });

  it('declares the list filters of SPEC §7 with their types and enums', () => {
    const params = (path: string) =>
      Object.fromEntries(
        document.paths[path].get.parameters.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.schema]),
      );
    expect(params('/v1/runs')).toMatchObject({
      status: { enum: ['pending', 'running', 'waiting_for_human', 'succeeded', 'failed', 'cancelled'] },
      workflow: { type: 'string' },
      limit: { type: 'integer', minimum: 1, maximum: 200 },
      cursor: { type: 'string' },
    });
    expect(params('/v1/escalations')).toMatchObject({
      status: { enum: ['open', 'resolved', 'expired'], default: 'open' },
      reason: { type: 'string' },
      runId: { format: 'uuid' },
      workflow: {},
    });
    expect(params('/v1/audit')).toMatchObject({
      operation: { type: 'array' },
      success: { type: 'boolean' },
      from: { format: 'date-time' },
      order: { enum: ['desc', 'asc'] },
      limit: {},
    });
    expect(params('/v1/audit/stats')).toMatchObject({
      bucket: { enum: ['minute', 'hour', 'day'] },
      groupBy: { enum: expect.arrayContaining(['operation', 'workflow']) },
    });
    expect(params('/v1/workflows')).toMatchObject({ limit: {}, cursor: {} });
  });

  it('declares Location, WWW-Authenticate and Retry-After headers', () => {
    const start = document.paths['/v1/workflows/{name}/runs'].post.responses;
    expect(start['202'].headers.Location).toBeDefined();
    expect(document.components.responses.Unauthorized.headers['WWW-Authenticate']).toBeDefined();
    expect(document.components.responses.IssuerUnavailable.headers['Retry-After']).toBeDefined();
    expect(document.paths['/v1/audit'].get.responses['403'].headers['WWW-Authenticate']).toBeDefined();
    for (const [path, , op] of operations())
      if (path.startsWith('/v1/')) expect(op.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
  });

  it('asks for no credentials on health and metrics, and a bearer token on every /v1 operation', () => {
    for (const [path, , op] of operations()) {
      expect(op.security).toEqual(path.startsWith('/v1/') ? [{ bearer: [] }] : []);
    }
    expect(document.paths['/health/ready']).toBeDefined();
    expect(document.paths['/metrics']).toBeDefined();
  });

  it('has tags with descriptions, servers and a license', () => {
    const tags = Object.fromEntries(document.tags.map((t: any) => [t.name, t.description]));
    for (const [, , op] of operations()) for (const tag of op.tags) expect(tags[tag]).toEqual(expect.any(String));
    expect(document.servers[0].url).toMatch(/^https?:\/\//);
    expect(document.info.license).toMatchObject({ name: 'Apache-2.0', url: expect.stringContaining('apache.org') });
  });

  it('the response contract check refuses a body, a status or a media type the document does not declare', async () => {
    const runs = `${api.url}/v1/runs`;
    await expect(
      assertKeepsContract(runs, 'GET', 200, 'application/json', { items: [], nextCursor: null }),
    ).resolves.toBeUndefined();
    await expect(
      assertKeepsContract(runs, 'GET', 200, 'application/json', { items: [{ id: 'x' }], nextCursor: null }),
    ).rejects.toThrow(/contract: GET \/v1\/runs → 200 body/);
    await expect(assertKeepsContract(runs, 'GET', 200, 'application/json', { items: [] })).rejects.toThrow(
      /nextCursor/,
    );
    await expect(assertKeepsContract(runs, 'GET', 418, 'application/json', {})).rejects.toThrow(
      /not a declared response/,
    );
    await expect(assertKeepsContract(runs, 'GET', 200, 'text/html', '')).rejects.toThrow(/answered text\/html/);
    await expect(
      assertKeepsContract(
        `${api.url}/v1/runs/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
        'GET',
        401,
        'application/problem+json',
        { title: 'x' },
      ),
    ).rejects.toThrow(/body/);
    // and call() applies it: a real 401 keeps the contract
    expect((await call(runs)).status).toBe(401);
  });
});
