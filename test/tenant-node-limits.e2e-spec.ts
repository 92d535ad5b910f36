import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig, redisConnectionOptions, type BatonConfig } from '../libs/platform/src/index.js';
import { NodeSweeper } from '../libs/workflow/src/index.js';
import { call, startApi, type RunningApi } from './support/api.js';
import { testEnv, writeBatonYaml } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { isolatedEnv } from './support/isolation.js';
import { startReadyWorker, type SpawnedProcess } from './support/processes.js';
import { eventually } from './support/waiting.js';
import { startWorker } from './support/worker.js';
import { definition } from './support/workflows.js';

const LIMIT = 2;
const AUD = 'https://slow.example.com';

/**
 * A downstream that holds every request `holdMs` and counts how many are in flight at once, per
 * user (the runs' `sub`: one user per tenant here).
 */
class SlowDownstream {
  readonly maxInFlight = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  calls = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(holdMs: number): Promise<SlowDownstream> {
    let self: SlowDownstream | undefined;
    const server = createServer((req, res) => {
      const user = String(req.headers['x-user'] ?? 'unknown');
      const now = (self!.inFlight.get(user) ?? 0) + 1;
      self!.inFlight.set(user, now);
      self!.maxInFlight.set(user, Math.max(now, self!.maxInFlight.get(user) ?? 0));
      self!.calls++;
      req.resume();
      setTimeout(() => {
        self!.inFlight.set(user, self!.inFlight.get(user)! - 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, holdMs);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    self = new SlowDownstream(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

/** `a`, then `b` and `c` in parallel, then `d`: a chain step, a fan-out and a join. */
const diamond = (name: string, base: string) => {
  const node = (id: string, dependsOn: string[]) => ({
    id,
    type: 'http' as const,
    ...(dependsOn.length > 0 && { dependsOn }),
    oauth: { requiredScopes: ['slow:read'], audience: AUD },
    request: { method: 'GET' as const, url: `${base}/${id}`, headers: { 'x-user': '{{input.user}}' } },
  });
  return definition(name, [node('a', []), node('b', ['a']), node('c', ['a']), node('d', ['b', 'c'])]);
};

/** The limit for the single tenant `default`, through baton.yaml's top-level `maxConcurrentNodes` (SPEC §12.1). */
function limitedConfig(issuer: string, env: Record<string, string>): BatonConfig {
  return loadConfig(testEnv(writeBatonYaml({ issuer, extra: { maxConcurrentNodes: LIMIT } }), env));
}

describe('per-tenant maxConcurrentNodes, across workers (SPEC §12.1)', () => {
  let auth: DevAuth;
  let downstream: SlowDownstream;
  let config: BatonConfig;
  let env: Record<string, string>;
  let api: RunningApi;
  const workers: INestApplication[] = [];
  const spawned: SpawnedProcess[] = [];
  let db: pg.Client;
  let token: string;

  const startRuns = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const started = await call(`${api.url}/v1/workflows/diamond/runs`, { token, body: { input: { user: 'a' } } });
      expect(started.status).toBe(202);
      ids.push(started.body.id);
    }
    return ids;
  };

  const finished = (ids: string[]) =>
    eventually(
      async () =>
        (
          await db.query(`SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1) GROUP BY status`, [ids])
        ).rows.reduce((m: Record<string, number>, r) => ({ ...m, [r.status]: r.n }), {} as Record<string, number>),
      (s: Record<string, number>) => (s.succeeded ?? 0) + (s.failed ?? 0) + (s.cancelled ?? 0) === ids.length,
      90000,
      250,
    );

  const slotsInUse = async (): Promise<number> =>
    (
      await db.query(
        `SELECT count(*)::int AS n FROM node_runs WHERE slot_tenant = 'default' AND status IN ('queued', 'running')`,
      )
    ).rows[0].n;

  beforeAll(async () => {
    auth = await DevAuth.start();
    downstream = await SlowDownstream.start(250);
    env = isolatedEnv();
    config = limitedConfig(auth.issuer, env);
    api = await startApi(config);
    // Two workers: the limit is the deployment's, not one worker's.
    workers.push(await startWorker(config), await startWorker(config));
    db = new pg.Client({ connectionString: config.databaseUrl });
    await db.connect();
    const admin = await auth.mintToken('admin', ['baton:workflows:write']);
    const created = await call(`${api.url}/v1/workflows`, { token: admin, body: diamond('diamond', downstream.url) });
    expect(created.status).toBe(201);
    token = await auth.mintToken('ann', ['slow:read']);
  }, 60000);

  afterAll(async () => {
    for (const w of spawned) await w.stop('SIGKILL');
    for (const w of workers) await w.close();
    await api?.close();
    await db?.end().catch(() => undefined);
    await downstream?.close();
    await auth?.close();
  });

  it('the limit is in Postgres for every process, synced from the configuration at boot', async () => {
    const { rows } = await db.query(`SELECT tenant, max_concurrent_nodes FROM tenant_limits`);
    expect(rows).toEqual([{ tenant: 'default', max_concurrent_nodes: LIMIT }]);
  });

  it('never more than the limit of the tenant’s nodes call downstream at once, over two workers, and every run finishes', async () => {
    const ids = await startRuns(8);
    // Parked, not enqueued: the tenant's nodes beyond its slots wait in Postgres.
    const parked = await eventually(
      async () =>
        (
          await db.query(
            `SELECT count(*)::int AS n FROM node_runs WHERE parked_tenant = 'default' AND status = 'queued'`,
          )
        ).rows[0].n as number,
      (n) => n > 0,
      10000,
      20,
    );
    expect(parked).toBeGreaterThan(0);
    expect(await slotsInUse()).toBeLessThanOrEqual(LIMIT);
    expect(await finished(ids)).toEqual({ succeeded: ids.length });
    expect(downstream.maxInFlight.get('a')).toBe(LIMIT);
    expect(downstream.calls).toBe(ids.length * 4);
    // Each node ran once: node.started and node.succeeded once per node.
    const { rows } = await db.query(
      `SELECT operation, count(*)::int AS n FROM audit_entries WHERE run_id = ANY($1) AND operation IN ('node.started', 'node.succeeded') GROUP BY operation ORDER BY operation`,
      [ids],
    );
    expect(rows).toEqual([
      { operation: 'node.started', n: ids.length * 4 },
      { operation: 'node.succeeded', n: ids.length * 4 },
    ]);
    expect(await slotsInUse()).toBe(0);
  }, 120000);

  it('a claim of a parked node is refused even when a job for it exists', async () => {
    const stopped = workers.splice(0);
    for (const w of stopped) await w.close();
    const ids = await startRuns(3);
    const { rows } = await db.query(
      `SELECT run_id, node_id, attempts, parked_tenant, slot_tenant FROM node_runs WHERE run_id = ANY($1) AND node_id = 'a' ORDER BY queued_at`,
      [ids],
    );
    const parked = rows.find((r) => r.parked_tenant === 'default');
    expect(rows.filter((r) => r.slot_tenant === 'default')).toHaveLength(LIMIT);
    expect(parked).toBeDefined();
    const claim = await db.query(`SELECT node_id FROM baton_claim_node($1, 'a', 1, 'stray-job')`, [parked.run_id]);
    expect(claim.rows).toEqual([]);
    workers.push(await startWorker(config));
    expect(await finished(ids)).toEqual({ succeeded: ids.length });
  }, 120000);

  it('the sweeper hands out parked nodes whose slots were freed without a hand-out (and Redis lost their jobs)', async () => {
    const stopped = workers.splice(0);
    for (const w of stopped) await w.close();
    const ids = await startRuns(4);
    // Cancelling the two runs holding the slots frees them without handing them on (the api's
    // cancel takes no tenant lock); Redis loses every job.
    const holders = (
      await db.query(
        `SELECT run_id FROM node_runs WHERE run_id = ANY($1) AND slot_tenant = 'default' AND status = 'queued'`,
        [ids],
      )
    ).rows.map((r) => r.run_id as string);
    expect(holders).toHaveLength(LIMIT);
    for (const id of holders)
      expect([200, 202]).toContain((await call(`${api.url}/v1/runs/${id}/cancel`, { token, body: {} })).status);
    const redis = new Redis(redisConnectionOptions(config.redisUrl));
    for (const key of await redis.keys(`${config.queuePrefix}:*`)) await redis.del(key);
    await redis.quit();
    workers.push(await startWorker(config));
    await workers[0]!.get(NodeSweeper).sweep();
    const statuses = await finished(ids);
    expect(statuses).toEqual({ cancelled: LIMIT, succeeded: ids.length - LIMIT });
  }, 120000);

  it('a worker SIGKILLed while the tenant is at its limit: after a restart everything finishes, within the limit', async () => {
    for (const w of workers.splice(0)) await w.close();
    const processEnv = {
      ...testEnv(writeBatonYaml({ issuer: auth.issuer, extra: { maxConcurrentNodes: LIMIT } })),
      ...env,
    };
    const before = downstream.calls;
    const ids = await startRuns(6);
    const first = await startReadyWorker(processEnv, spawned);
    await eventually(
      () => slotsInUse(),
      () => downstream.calls > before,
      20000,
      20,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    await startReadyWorker(processEnv, spawned);
    expect(await finished(ids)).toEqual({ succeeded: ids.length });
    expect(downstream.maxInFlight.get('a')).toBe(LIMIT);
  }, 150000);
});
