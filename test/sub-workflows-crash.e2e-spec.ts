import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { childRunId } from '../libs/workflow/src/domain/tree/child-run-id.js';
import { call } from './support/api.js';
import { testEnv, writeBatonYaml } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { isolatedEnv } from './support/isolation.js';
import { freePort, spawnBuilt, waitForStatus, type SpawnedProcess, startReadyWorker } from './support/processes.js';
import { ResourceServer } from './support/resource-server.js';
import { blockedOn, eventually } from './support/waiting.js';
import { definition } from './support/workflows.js';

/**
 * SPEC §11 "a crash never starts a second child for the same parent node attempt", with real
 * processes: the worker is SIGKILLed while it is inserting the child run (its statement blocked on a
 * row the test holds with the child's id, uncommitted), and a new worker takes the attempt over.
 */
describe('sub-workflows survive a worker killed while starting the child (SPEC §11)', () => {
  let auth: DevAuth;
  let resource: ResourceServer;
  let env: Record<string, string>;
  let apiUrl: string;
  let api: SpawnedProcess;
  const workers: SpawnedProcess[] = [];
  let db: pg.Client;

  const startWorker = (): Promise<SpawnedProcess> => startReadyWorker(env, workers);

  beforeAll(async () => {
    auth = await DevAuth.start();
    resource = await ResourceServer.start();
    env = testEnv(writeBatonYaml({ issuer: auth.issuer }), isolatedEnv());
    const port = await freePort();
    api = spawnBuilt('dist/apps/api/src/main.js', { ...env, PORT: String(port) });
    apiUrl = `http://127.0.0.1:${port}`;
    expect(await waitForStatus(`${apiUrl}/health/ready`, 200)).toBe(200);
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    const admin = await auth.mintToken('admin', ['baton:workflows:write']);
    resource.on('GET', '/leaf', { status: 200, body: { leaf: true } });
    const oauth = { requiredScopes: ['s:read'], audience: 'https://leaf.example.com' };
    for (const body of [
      definition('leaf', [{ id: 'get', type: 'http', oauth, request: { method: 'GET', url: `${resource.url}/leaf` } }]),
      definition('caller', [
        { id: 'call', type: 'workflow', workflow: { name: 'leaf' }, oauth: { requiredScopes: ['s:read'] } },
      ]),
    ])
      expect((await call(`${apiUrl}/v1/workflows`, { token: admin, body })).status).toBe(201);
  }, 60000);

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await api?.stop('SIGKILL');
    await db?.end().catch(() => undefined);
    await resource?.close();
    await auth?.close();
  });

  it('a worker killed mid-insert of the child: the attempt is taken over and exactly one child runs', async () => {
    const token = await auth.mintToken('kim', ['s:read']);
    // The run id is Baton's to choose, so the child's id is known only once the run exists: hold
    // the workers back until the test holds the child's id.
    const started = await call(`${apiUrl}/v1/workflows/caller/runs`, { token, body: { input: {} } });
    expect(started.status).toBe(202);
    const runId: string = started.body.id;
    const childId = childRunId(runId, 'call', 1);

    // An uncommitted row with the child's id: the worker's INSERT of the child waits on it.
    const holder = new pg.Client({ connectionString: env.DATABASE_URL });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(
      `INSERT INTO runs (tenant, id, workflow_name, workflow_version, status, user_iss, user_sub) VALUES ('default', $1, 'leaf', 1, 'cancelled', 'x', 'y')`,
      [childId],
    );
    const worker = await startWorker();
    const blocked = await blockedOn(db, 'baton_start_child', 20000);
    worker.child.kill('SIGKILL');
    await worker.exited;
    for (const pid of blocked) await db.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await holder.query('ROLLBACK');
    await holder.end();
    expect((await db.query(`SELECT count(*)::int AS n FROM runs WHERE parent_run_id = $1`, [runId])).rows[0].n).toBe(0);
    expect((await db.query(`SELECT status FROM node_runs WHERE run_id = $1`, [runId])).rows[0].status).toBe('running');

    await startWorker();
    const done = await eventually(
      async () => (await db.query(`SELECT status FROM runs WHERE id = $1`, [runId])).rows[0].status,
      (status) => ['succeeded', 'failed', 'cancelled'].includes(status),
      90000,
      500,
    );
    expect(done).toBe('succeeded');
    const { rows: children } = await db.query(`SELECT id, status FROM runs WHERE parent_run_id = $1`, [runId]);
    expect(children).toEqual([{ id: childId, status: 'succeeded' }]);
    expect(resource.seen('GET', '/leaf').filter((r) => r.headers['idempotency-key'] === `${childId}:get`)).toHaveLength(
      1,
    );
    const { rows: started2 } = await db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE run_id = $1 AND operation = 'run.started'`,
      [childId],
    );
    expect(started2[0].n).toBe(1);
    const { rows: parentNode } = await db.query(
      `SELECT status, attempts, output->>'runId' AS child FROM node_runs WHERE run_id = $1`,
      [runId],
    );
    expect(parentNode).toEqual([{ status: 'succeeded', attempts: 1, child: childId }]);
    for (const id of [runId, childId]) {
      const verified = await call(`${apiUrl}/v1/runs/${id}/audit/verify`, { token });
      expect(verified.body).toMatchObject({ valid: true });
    }
  }, 150000);
});
