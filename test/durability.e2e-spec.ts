import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { call } from './support/api.js';
import { testEnv, writeBatonYaml } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { PrivatePostgres } from './support/private-postgres.js';
import { PrivateRedis } from './support/private-redis.js';
import { freePort, spawnBuilt, waitForStatus, type SpawnedProcess, startReadyWorker } from './support/processes.js';
import { ResourceServer } from './support/resource-server.js';
import { blockedOn, eventually } from './support/waiting.js';
import { definition } from './support/workflows.js';

/**
 * Durability of the chained engine (issue 9) with real processes, a Postgres and a Redis of the
 * suite's own (so they can be killed and restarted under load): a worker killed inside a chained
 * step, Postgres restarted mid-load, Redis restarted without persistence mid-load. Each time every
 * run must finish, with `node.succeeded` once per node and an intact audit chain.
 */
describe('durability of chained runs (issue 9)', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let auth: DevAuth;
  let resource: ResourceServer;
  let env: Record<string, string>;
  let apiUrl: string;
  let api: SpawnedProcess;
  const workers: SpawnedProcess[] = [];
  let db: pg.Client;
  let userToken: string;
  let admin: string;

  const startWorker = (): Promise<SpawnedProcess> => startReadyWorker(env, workers);

  const startRun = async (workflow: string): Promise<string> => {
    const started = await call(`${apiUrl}/v1/workflows/${workflow}/runs`, { token: userToken, body: { input: {} } });
    expect(started.status).toBe(202);
    return started.body.id;
  };

  const statusesOf = async (ids: string[]): Promise<Record<string, number>> => {
    const { rows } = await db.query(`SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1) GROUP BY status`, [
      ids,
    ]);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };

  /** Every run succeeded, each node succeeded exactly once in the audit, and each chain verifies. */
  const expectCleanFinish = async (ids: string[], nodesPerRun: number): Promise<void> => {
    const finished = await eventually(
      () => statusesOf(ids),
      (s) => (s.succeeded ?? 0) + (s.failed ?? 0) + (s.cancelled ?? 0) === ids.length,
      90000,
      500,
    );
    expect(finished).toEqual({ succeeded: ids.length });
    const { rows } = await db.query(
      `SELECT run_id, node_id, count(*)::int AS n FROM audit_entries WHERE run_id = ANY($1) AND operation = 'node.succeeded' GROUP BY run_id, node_id`,
      [ids],
    );
    expect(rows).toHaveLength(ids.length * nodesPerRun);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    for (const id of ids) {
      const verified = await call(`${apiUrl}/v1/runs/${id}/audit/verify`, { token: userToken });
      expect(verified.body).toMatchObject({ valid: true });
    }
    // Each run's entries are in time order along the chain (`at` is taken with the chain position).
    const { rows: disorder } = await db.query(
      `SELECT count(*)::int AS n FROM audit_entries a JOIN audit_entries b ON b.run_id = a.run_id AND b.run_seq = a.run_seq + 1
       WHERE a.run_id = ANY($1) AND b.at < a.at`,
      [ids],
    );
    expect(disorder[0].n).toBe(0);
  };

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    redis = await PrivateRedis.start();
    auth = await DevAuth.start();
    resource = await ResourceServer.start();
    env = testEnv(writeBatonYaml({ issuer: auth.issuer }), {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      BATON_QUEUE_PREFIX: `durability_${randomBytes(3).toString('hex')}`,
    });
    const port = await freePort();
    api = spawnBuilt('dist/apps/api/src/main.js', { ...env, PORT: String(port) });
    apiUrl = `http://127.0.0.1:${port}`;
    expect(await waitForStatus(`${apiUrl}/health/ready`, 200)).toBe(200);
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    admin = await auth.mintToken('admin', ['baton:workflows:write']);
    const aud = { audience: 'https://chain.example.com' };
    const node = (id: string, dependsOn: string[], oauth: boolean) => ({
      id,
      type: 'http' as const,
      ...(dependsOn.length > 0 && { dependsOn }),
      ...(oauth && { oauth: { requiredScopes: ['s:read'], ...aud } }),
      retry: { maxAttempts: 5, backoffMs: 200 },
      request: { method: 'GET' as const, url: `${resource.url}/${id}` },
    });
    for (const [name, oauthOnB] of [['chain', true]] as const) {
      const created = await call(`${apiUrl}/v1/workflows`, {
        token: admin,
        body: definition(name, [node('a', [], false), node('b', ['a'], oauthOnB), node('c', ['b'], false)]),
      });
      expect(created.status).toBe(201);
    }
    for (const path of ['/a', '/b', '/c']) resource.on('GET', path, { status: 200, body: { ok: true } });
    userToken = await auth.mintToken('dana', ['s:read']);
  }, 60000);

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await api?.stop('SIGKILL');
    await db?.end().catch(() => undefined);
    await resource?.close();
    await auth?.close();
    await redis?.close();
    postgres?.close();
  });

  it('a worker killed between the chained claim of a node and its downstream call: a new worker takes the attempt over', async () => {
    // b is chained on by the worker that finished a; its exchange hangs, so the worker dies after
    // the claim committed and before b's downstream call.
    await auth.setFaults({ slowTokenEndpoint: { delayMs: 8000, times: 1 } });
    const worker = await startWorker();
    const id = await startRun('chain');
    const claimed = await eventually(
      async () =>
        (await db.query(`SELECT status, carrier FROM node_runs WHERE run_id = $1 AND node_id = 'b'`, [id])).rows[0],
      (row) => row?.status === 'running',
      20000,
    );
    expect(claimed.carrier).toBe(`${id}.a.1`); // chained: b runs inside a's job
    expect(resource.seen('GET', '/b').filter((r) => r.headers['idempotency-key'] === `${id}:b`)).toHaveLength(0);
    worker.child.kill('SIGKILL');
    await worker.exited;

    await startWorker();
    await expectCleanFinish([id], 3);
    expect(resource.seen('GET', '/b').filter((r) => r.headers['idempotency-key'] === `${id}:b`)).toHaveLength(1);
    const { rows } = await db.query(
      `SELECT details->>'attempt' AS attempt FROM audit_entries WHERE run_id = $1 AND node_id = 'b' AND operation = 'node.started' ORDER BY run_seq`,
      [id],
    );
    expect(rows.map((r) => r.attempt)).toEqual(['1', '1']); // taken over, not retried: the attempt count is unchanged
  }, 120000);

  it('a worker killed between the downstream answer and the transition that records it: the step runs again with the same key, recorded once', async () => {
    for (const w of workers) await w.stop('SIGKILL');
    resource.on('GET', '/b', { status: 200, body: { b: true }, delayMs: 300 });
    const worker = await startWorker();
    const id = await startRun('chain');
    await eventually(
      async () => resource.seen('GET', '/b').filter((r) => r.headers['idempotency-key'] === `${id}:b`).length,
      (n) => n === 1,
      20000,
      20,
    );
    // Hold the run row so the worker's completion of b blocks after b answered, then kill the worker
    // and its blocked backend: nothing of b's outcome commits.
    const lock = new pg.Client({ connectionString: postgres.url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query(`SELECT 1 FROM runs WHERE id = $1 FOR UPDATE`, [id]);
    const blocked = await blockedOn(db, 'baton_complete_node', 5000);
    expect(blocked.length).toBeGreaterThan(0);
    worker.child.kill('SIGKILL');
    await worker.exited;
    for (const pid of blocked) await db.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await lock.query('ROLLBACK');
    await lock.end();
    expect(
      (await db.query(`SELECT status FROM node_runs WHERE run_id = $1 AND node_id = 'b'`, [id])).rows[0].status,
    ).toBe('running');

    await startWorker();
    await expectCleanFinish([id], 3);
    const calls = resource.seen('GET', '/b').filter((r) => r.headers['idempotency-key'] === `${id}:b`);
    expect(calls).toHaveLength(2);
  }, 120000);

  it('Postgres restarted mid-load: every run finishes, none stranded', async () => {
    resource.on('GET', '/b', { status: 200, body: { b: true }, delayMs: 150 });
    resource.on('GET', '/c', { status: 200, body: { c: true }, delayMs: 150 });
    if (workers.every((w) => w.child.exitCode !== null || w.child.signalCode !== null)) await startWorker();
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) ids.push(await startRun('chain'));
    await eventually(
      () => statusesOf(ids),
      (s) => (s.succeeded ?? 0) >= 3,
      20000,
      50,
    );
    expect((await statusesOf(ids)).running).toBeGreaterThan(0); // steps in flight when Postgres goes away
    await db.end();
    postgres.stopServer();
    await new Promise((r) => setTimeout(r, 2000));
    postgres.startServer();
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    await expectCleanFinish(ids, 3);
  }, 150000);

  it('Redis restarted without persistence mid-load: the sweeper rebuilds the schedule from Postgres, every run finishes', async () => {
    resource.on('GET', '/b', { status: 200, body: { b: true }, delayMs: 400 });
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) ids.push(await startRun('chain'));
    await eventually(
      () => statusesOf(ids),
      (s) => (s.succeeded ?? 0) >= 1,
      20000,
      50,
    );
    // Work still in flight (first jobs waiting in Redis, chains running): the restart loses those jobs.
    const atKill = await statusesOf(ids);
    expect((atKill.pending ?? 0) + (atKill.running ?? 0)).toBeGreaterThan(0);
    await redis.stopServer();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.startServer();
    await expectCleanFinish(ids, 3);
  }, 150000);
});
