import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { call, startApi, type RunningApi } from './support/api.js';
import { testConfig } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { definition, httpNode } from './support/workflows.js';

const WRITE = 'baton:workflows:write';
const URL_X = 'http://127.0.0.1/x';

/** SPEC §12.3: every stored version says what it changed in its nodes' scopes, and the change is audited. */
describe('scope changes between versions (SPEC §12.3)', () => {
  let auth: DevAuth;
  let api: RunningApi;
  let db: pg.Client;
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    auth = await DevAuth.start();
    const config = testConfig({ issuer: auth.issuer });
    api = await startApi(config);
    db = new pg.Client({ connectionString: config.databaseUrl });
    await db.connect();
    writer = await auth.mintToken('scope-author', [WRITE]);
    reader = await auth.mintToken('reader', ['openid']);
  });
  afterAll(async () => {
    await db?.end();
    await api?.close();
    await auth?.close();
  });

  const post = (body: unknown) => call(`${api.url}/v1/workflows`, { token: writer, body });
  const node = (id: string, requiredScopes: string[], optionalScopes?: string[]) =>
    httpNode(id, URL_X, {
      oauth: { requiredScopes, ...(optionalScopes && { optionalScopes }), audience: 'https://expenses.example.com' },
    });

  it('version 1 lists every declared scope as added, previousVersion null', async () => {
    const response = await post(
      definition('scopes-v1', [
        node('fetch', ['expenses:read'], ['expenses:notify']),
        { id: 'ok', type: 'approval', dependsOn: ['fetch'], approval: { prompt: 'go?' } },
        node('submit', ['expenses:write']),
      ]),
    );
    expect(response.status).toBe(201);
    expect(response.body.version).toBe(1);
    expect(response.body.scopeChanges).toEqual({
      previousVersion: null,
      added: [
        { node: 'fetch', scope: 'expenses:read', kind: 'required' },
        { node: 'fetch', scope: 'expenses:notify', kind: 'optional' },
        { node: 'submit', scope: 'expenses:write', kind: 'required' },
      ],
      removed: [],
    });
  });

  it('version 2 lists added and removed scopes, a kind move as removed + added, and GET …/versions/{v} shows the same', async () => {
    await post(definition('scopes-v2', [node('a', ['keep', 'gone'], ['moves']), node('b', ['b:only'])]));
    const second = await post(
      definition('scopes-v2', [node('a', ['keep', 'moves'], ['new:opt']), node('c', ['c:new'])]),
    );
    expect(second.status).toBe(201);
    const expected = {
      previousVersion: 1,
      added: [
        { node: 'a', scope: 'moves', kind: 'required' },
        { node: 'a', scope: 'new:opt', kind: 'optional' },
        { node: 'c', scope: 'c:new', kind: 'required' },
      ],
      removed: [
        { node: 'a', scope: 'gone', kind: 'required' },
        { node: 'a', scope: 'moves', kind: 'optional' },
        { node: 'b', scope: 'b:only', kind: 'required' },
      ],
    };
    expect(second.body).toMatchObject({ version: 2, scopeChanges: expected });

    const v2 = await call(`${api.url}/v1/workflows/scopes-v2/versions/2`, { token: reader });
    expect(v2.status).toBe(200);
    expect(v2.body.scopeChanges).toEqual(expected);
    const v1 = await call(`${api.url}/v1/workflows/scopes-v2/versions/1`, { token: reader });
    expect(v1.body.scopeChanges.previousVersion).toBeNull();
    expect(v1.body.scopeChanges.added).toHaveLength(4);

    // A third version with the same scopes changes nothing.
    const third = await post(
      definition('scopes-v2', [node('a', ['keep', 'moves'], ['new:opt']), node('c', ['c:new'])]),
    );
    expect(third.body.scopeChanges).toEqual({ previousVersion: 2, added: [], removed: [] });
  });

  it('audits workflow.version_created (runId null, the author, version and scopeChanges) in the transaction that stored the version', async () => {
    const first = await post(definition('scopes-audit', [node('a', ['one'])]));
    const second = await post(definition('scopes-audit', [node('a', ['two'])]));
    expect(second.status).toBe(201);
    const { rows } = await db.query(
      `SELECT a.run_id, a.workflow, a.agent_id, a.user_id, a.issuer, a.success, a.details,
              (a.tx::text::numeric % 4294967296) = v.xmin::text::numeric AS same_tx
         FROM audit_entries a
         JOIN workflow_versions v ON v.name = a.workflow AND v.version = (a.details->>'version')::int
        WHERE a.operation = 'workflow.version_created' AND a.workflow = 'scopes-audit'
        ORDER BY a.id`,
    );
    expect(rows).toHaveLength(2);
    for (const [index, row] of rows.entries()) {
      expect(row).toMatchObject({
        run_id: null,
        workflow: 'scopes-audit',
        agent_id: 'test-agent',
        user_id: 'scope-author',
        issuer: auth.issuer,
        success: true,
        same_tx: true,
      });
      expect(row.details).toEqual({
        version: index + 1,
        scopeChanges: [first, second][index]!.body.scopeChanges,
      });
    }
    // The entry is reachable through the audit API like any other.
    const auditor = await auth.mintToken('auditor', ['baton:audit:read']);
    const listed = await call(`${api.url}/v1/audit?operation=workflow.version_created&workflow=scopes-audit`, {
      token: auditor,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((e: { details: { version: number } }) => e.details.version)).toEqual([2, 1]);
  });

  it('a refused version (another author) writes no version_created entry', async () => {
    await post(definition('scopes-owned', [node('a', ['one'])]));
    const stranger = await auth.mintToken('stranger', [WRITE]);
    const refused = await call(`${api.url}/v1/workflows`, {
      token: stranger,
      body: definition('scopes-owned', [node('a', ['two'])]),
    });
    expect(refused.status).toBe(403);
    const { rows } = await db.query(
      `SELECT user_id FROM audit_entries WHERE operation = 'workflow.version_created' AND workflow = 'scopes-owned'`,
    );
    expect(rows).toEqual([{ user_id: 'scope-author' }]);
  });
});
