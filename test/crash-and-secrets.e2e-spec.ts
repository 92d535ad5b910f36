import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import pg from 'pg';
import { call } from './support/api.js';
import { testEnv, writeBatonYaml } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { isolatedEnv } from './support/isolation.js';
import { freePort, spawnBuilt, waitForStatus, type SpawnedProcess, startReadyWorker } from './support/processes.js';
import { ResourceServer } from './support/resource-server.js';
import { dumpPostgres, dumpRedis } from './support/secrets.js';
import { eventually } from './support/waiting.js';
import { definition } from './support/workflows.js';

// The API and the workers run as real processes (the built tree), so a worker can be killed with
// SIGKILL mid-request and every log line they print can be searched for tokens.
describe('crash recovery and secrecy, with real processes', () => {
  let auth: DevAuth;
  let resource: ResourceServer;
  let env: Record<string, string>;
  let apiUrl: string;
  let api: SpawnedProcess;
  const workers: SpawnedProcess[] = [];
  let db: pg.Client;
  let userToken: string;

  const startWorker = (): Promise<SpawnedProcess> => startReadyWorker(env, workers);

  beforeAll(async () => {
    auth = await DevAuth.start();
    resource = await ResourceServer.start();
    env = testEnv(writeBatonYaml({ issuer: auth.issuer }), { ...isolatedEnv(), LOG_LEVEL: 'debug' });
    const port = await freePort();
    api = spawnBuilt('dist/apps/api/src/main.js', { ...env, PORT: String(port) });
    apiUrl = `http://127.0.0.1:${port}`;
    expect(await waitForStatus(`${apiUrl}/health/ready`, 200)).toBe(200);
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    const admin = await auth.mintToken('admin', ['baton:workflows:write']);
    const aud = { audience: 'https://slow.example.com' };
    const created = await call(`${apiUrl}/v1/workflows`, {
      token: admin,
      body: definition('crashy', [
        {
          id: 'first',
          type: 'http',
          oauth: { requiredScopes: ['s:read'], ...aud },
          request: { method: 'GET', url: `${resource.url}/fast` },
        },
        {
          id: 'slow',
          type: 'http',
          dependsOn: ['first'],
          oauth: { requiredScopes: ['s:read'], ...aud },
          request: { method: 'POST', url: `${resource.url}/slow`, body: { n: 1 } },
        },
        {
          id: 'last',
          type: 'http',
          dependsOn: ['slow'],
          oauth: { requiredScopes: ['s:read'], ...aud },
          request: { method: 'GET', url: `${resource.url}/fast` },
        },
      ]),
    });
    expect(created.status).toBe(201);
    userToken = await auth.mintToken('ursula', ['s:read', 'other:thing']);
  }, 60000);

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await api?.stop();
    await db?.end();
    await resource?.close();
    await auth?.close();
  });

  it('a worker killed with SIGKILL mid-request: a new worker completes the run, node.succeeded once per node, same Idempotency-Key', async () => {
    resource.on('GET', '/fast', { status: 200, body: { ok: true } });
    // The first call to /slow hangs (the worker dies while waiting); later ones answer at once.
    resource.on('POST', '/slow', [{ status: 200, body: { slow: true }, delayMs: 60_000 }], {
      status: 200,
      body: { slow: true },
    });
    const first = await startWorker();

    const started = await call(`${apiUrl}/v1/workflows/crashy/runs`, { token: userToken, body: { input: {} } });
    expect(started.status).toBe(202);
    const runId = started.body.id;
    await eventually(
      async () => resource.seen('POST', '/slow').length,
      (n) => n >= 1,
      20000,
    );
    expect(resource.seen('POST', '/slow')).toHaveLength(1);

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    await startWorker();
    const run = await eventually(
      async () => (await call(`${apiUrl}/v1/runs/${runId}`, { token: userToken })).body,
      (r) => ['succeeded', 'failed'].includes(r.status),
      45000,
      250,
    );
    expect(run.status).toBe('succeeded');
    const slowCalls = resource.seen('POST', '/slow');
    expect(slowCalls).toHaveLength(2);
    expect(slowCalls.map((r) => r.headers['idempotency-key'])).toEqual([`${runId}:slow`, `${runId}:slow`]);
    const { rows } = await db.query(
      `SELECT node_id, count(*)::int AS n FROM audit_entries WHERE run_id = $1 AND operation = 'node.succeeded' GROUP BY node_id ORDER BY node_id`,
      [runId],
    );
    expect(rows).toEqual([
      { node_id: 'first', n: 1 },
      { node_id: 'last', n: 1 },
      { node_id: 'slow', n: 1 },
    ]);
  }, 90000);

  it('no minted or exchanged token appears in Redis, in any Postgres table, or in the api/worker logs', async () => {
    const exchanged = resource.requests
      .map((r) => String(r.headers.authorization ?? '').replace(/^Bearer /, ''))
      .filter(Boolean);
    expect(exchanged.length).toBeGreaterThan(0);
    const secrets = [userToken, ...exchanged];
    // A token's signature alone is enough to leak it; search for that too.
    const needles = [...secrets, ...secrets.map((t) => t.split('.')[2]!)];

    const redis = new Redis(env.REDIS_URL!);
    const redisText = await dumpRedis(redis, env.BATON_QUEUE_PREFIX!);
    await redis.quit();
    const postgresText = await dumpPostgres(db);
    const logs = [api, ...workers].map((p) => p.output()).join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const needle of needles) {
      expect(redisText.includes(needle)).toBe(false);
      expect(postgresText.includes(needle)).toBe(false);
      expect(logs.includes(needle)).toBe(false);
    }
    // and the run is terminal, so its sealed subject token is gone too
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM runs WHERE subject_token_ciphertext IS NOT NULL AND status IN ('succeeded','failed','cancelled')`,
    );
    expect(rows[0].n).toBe(0);
  });
});
