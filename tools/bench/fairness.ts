import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { stringify } from 'yaml';
import { DEFAULT_CLIENT_ID, startDevAuthServer, type DevAuthServer } from '../dev-auth-server/server.js';
import { deleteKeys, dropDatabase, inheritedEnv, lanes, requestJson, sleep, withDatabase } from './bench-support.js';
import { BuiltProcess, freePort, npmStartCommand } from './child-process.js';
import { FastResourceServer } from './fast-resource-server.js';
import { percentile, readinessLatencies } from './figures.js';
import { BenchDb } from './pg-meter.js';
import type { FairnessFigures } from './report.js';
import { BENCH_SCOPE, NODES_PER_RUN, Workflow, sequentialHttpWorkflow } from './workload.js';

/** The tenant that floods the queue, and the one whose nodes must still start within 1 s (SPEC §12.1). */
export const FLOOD_TENANT = 'a';
export const QUIET_TENANT = 'b';
const FLOOD_TAG = 'fair-flood';
const QUIET_TAG = 'fair-quiet';
const POLL_MS = 20;
/** How often the bench reads tenant A's slots and running nodes during the flood. */
const SAMPLE_MS = 50;

export interface FairnessSettings {
  /** Postgres server to create the phase's own database on. */
  serverDatabaseUrl: string;
  redisUrl: string;
  /** The phase's database and queue prefix (dropped and deleted at the end). */
  name: string;
  logLevel: string;
  /** Tenant A's runs, all started at once (`concurrency` starts in flight). */
  floodRuns: number;
  /** Tenant A's `maxConcurrentNodes`; null: A unlimited (the reference). */
  limit: number | null;
  /** Tenant B's runs, one at a time during the flood. */
  quietRuns: number;
  downstreamMs: number;
  concurrency: number;
  timeoutMs: number;
  log: (line: string) => void;
}

/**
 * The fairness phase on its own stack: two dev authorization servers (one issuer per tenant), a
 * downstream per tenant answering after `downstreamMs`, a two-tenant baton.yaml (A limited to
 * `limit`, B unlimited), api and worker as built processes on a fresh database and queue prefix.
 * Tenant A starts `floodRuns` runs as fast as the api takes them; then B starts `quietRuns` runs one
 * after another, each 100 ms after the previous one's first node started, while A's backlog drains.
 */
export async function measureFairness(s: FairnessSettings): Promise<FairnessFigures> {
  const closers: { what: string; close: () => Promise<unknown> }[] = [];
  const http = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  closers.push({ what: 'fairness http agent', close: () => http.close() });
  const json = (method: string, url: string, body?: unknown, bearer?: string, expect?: number) =>
    requestJson(http, method, url, body, bearer, expect);
  const phaseStart = Date.now();
  try {
    closers.push({ what: 'drop the fairness database', close: () => dropDatabase(s.serverDatabaseUrl, s.name) });
    closers.push({ what: 'delete the fairness queue keys', close: () => deleteKeys(s.redisUrl, s.name) });
    const tenants = [FLOOD_TENANT, QUIET_TENANT] as const;
    const secrets = { a: randomBytes(18).toString('base64url'), b: randomBytes(18).toString('base64url') };
    const auth: Record<string, DevAuthServer> = {};
    const resource: Record<string, FastResourceServer> = {};
    for (const tenant of tenants) {
      auth[tenant] = await startDevAuthServer({
        port: 0,
        devMode: true,
        clients: [{ clientId: DEFAULT_CLIENT_ID, clientSecret: secrets[tenant] }],
        exchangedTokenTtlSeconds: 3600,
      });
      closers.push({ what: `dev authorization server of tenant ${tenant}`, close: () => auth[tenant]!.close() });
      resource[tenant] = await FastResourceServer.start({ slowMs: s.downstreamMs });
      closers.push({ what: `resource server of tenant ${tenant}`, close: () => resource[tenant]!.close() });
    }
    const tenantYaml = (tenant: string, limit: number | null) => ({
      trustedIssuers: [{ issuer: auth[tenant]!.issuer }],
      exchangeProfiles: {
        corp: {
          issuer: auth[tenant]!.issuer,
          clientId: DEFAULT_CLIENT_ID,
          clientAuth: 'client_secret_basic',
          clientSecretEnv: `CORP_${tenant.toUpperCase()}_CLIENT_SECRET`,
        },
      },
      http: { allowedHosts: ['127.0.0.1'], audienceOrigins: { '*': [new URL(resource[tenant]!.url).origin] } },
      ...(limit !== null && { maxConcurrentNodes: limit }),
    });
    const dir = mkdtempSync(join(tmpdir(), 'baton-bench-fairness-'));
    closers.push({ what: 'fairness temp config', close: async () => rmSync(dir, { recursive: true, force: true }) });
    const configPath = join(dir, 'baton.yaml');
    writeFileSync(
      configPath,
      stringify({
        api: { audience: 'baton-api' },
        tenants: { [FLOOD_TENANT]: tenantYaml(FLOOD_TENANT, s.limit), [QUIET_TENANT]: tenantYaml(QUIET_TENANT, null) },
      }),
    );

    const databaseUrl = withDatabase(s.serverDatabaseUrl, s.name);
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env: Record<string, string> = {
      ...inheritedEnv(),
      DATABASE_URL: databaseUrl,
      REDIS_URL: s.redisUrl,
      BATON_CONFIG: configPath,
      BATON_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      BATON_QUEUE_PREFIX: s.name,
      LOG_LEVEL: s.logLevel,
      CORP_A_CLIENT_SECRET: secrets.a,
      CORP_B_CLIENT_SECRET: secrets.b,
      PORT: String(apiPort),
      WORKER_PORT: String(workerPort),
    };
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const api = BuiltProcess.start('fairness api', npmStartCommand('start:api'), env);
    closers.push({ what: 'fairness api', close: () => api.stop() });
    await api.waitUntilReady(`${apiUrl}/health/ready`, 60_000);
    const worker = BuiltProcess.start('fairness worker', npmStartCommand('start:worker'), env);
    closers.push({ what: 'fairness worker', close: () => worker.stop() });
    await worker.waitUntilReady(`http://127.0.0.1:${workerPort}/health/ready`, 60_000);
    const db = await BenchDb.connect(databaseUrl);
    closers.push({ what: 'fairness bench connection', close: () => db.end() });

    const mint = async (tenant: string, sub: string, scope: string): Promise<string> => {
      const body = (await json('POST', `${auth[tenant]!.url}/admin/tokens`, { sub, scope, expiresIn: 3600 })) as {
        access_token: string;
      };
      return body.access_token;
    };
    // One workflow of the same name in each tenant (each its own), calling its tenant's downstream.
    const users: Record<string, string> = {};
    for (const tenant of tenants) {
      const admin = await mint(tenant, `bench-admin-${tenant}`, 'baton:workflows:write');
      await json(
        'POST',
        `${apiUrl}/v1/workflows`,
        sequentialHttpWorkflow(Workflow.Fairness, `${resource[tenant]!.url}/slow`, () => 'https://bench.example.com'),
        admin,
        201,
      );
      users[tenant] = await mint(tenant, `bench-user-${tenant}`, BENCH_SCOPE);
    }
    const startRun = async (tenant: string, tag: string, item: number): Promise<string> => {
      const body = (await json(
        'POST',
        `${apiUrl}/v1/workflows/${Workflow.Fairness}/runs`,
        { input: { item, phase: tag } },
        users[tenant],
        202,
      )) as { id: string };
      return body.id;
    };
    const unfinished = async (tag: string): Promise<number> => {
      const [row] = await db.query<{ n: number; stopped: number }>(
        `SELECT count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled', 'waiting_for_human'))::int AS n,
                count(*) FILTER (WHERE status IN ('failed', 'cancelled', 'waiting_for_human'))::int AS stopped
         FROM runs WHERE input->>'phase' = $1`,
        [tag],
      );
      if (row!.stopped > 0) throw new Error(`fairness: ${row!.stopped} runs tagged ${tag} did not succeed`);
      return row!.n;
    };
    const settle = async (tag: string): Promise<void> => {
      const deadline = Date.now() + s.timeoutMs;
      while ((await unfinished(tag)) > 0) {
        if (Date.now() > deadline)
          throw new Error(`fairness: runs tagged ${tag} did not finish in time\nworker:\n${worker.tail()}`);
        await sleep(POLL_MS);
      }
    };

    // Warm-up (unmeasured): both tenants' exchanges, JWKS, definitions and pools.
    for (const tenant of tenants) await lanes(3, 3, (i) => startRun(tenant, `fair-warmup`, i).then(() => undefined));
    await settle('fair-warmup');

    // Tenant A's slots and running nodes, read beside the flood on a connection of its own.
    const sampler = await BenchDb.connect(databaseUrl);
    closers.push({ what: 'fairness sampler connection', close: () => sampler.end() });
    let sampling = true;
    let maxSlots = 0;
    let maxRunning = 0;
    const sampled = (async () => {
      while (sampling) {
        const [row] = await sampler.query<{ slots: number; running: number }>(
          `SELECT (SELECT count(*) FROM node_runs WHERE slot_tenant = $1 AND status IN ('queued', 'running'))::int AS slots,
                  (SELECT count(*) FROM node_runs n JOIN runs r ON r.id = n.run_id
                   WHERE r.tenant = $1 AND n.status = 'running' AND n.type <> 'workflow')::int AS running`,
          [FLOOD_TENANT],
        );
        maxSlots = Math.max(maxSlots, row!.slots);
        maxRunning = Math.max(maxRunning, row!.running);
        await sleep(SAMPLE_MS);
      }
    })();
    const firstNodeStarted = async (runId: string): Promise<void> => {
      const deadline = Date.now() + s.timeoutMs;
      for (;;) {
        const [row] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM node_runs WHERE run_id = $1 AND started_at IS NOT NULL`,
          [runId],
        );
        if (row!.n > 0) return;
        if (Date.now() > deadline) throw new Error(`fairness: tenant B's run ${runId} did not start a node in time`);
        await sleep(POLL_MS);
      }
    };
    const backlog = async (): Promise<number> => {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM node_runs n JOIN runs r ON r.id = n.run_id
         WHERE r.tenant = $1 AND r.input->>'phase' = $2 AND n.status IN ('pending', 'queued')`,
        [FLOOD_TENANT, FLOOD_TAG],
      );
      return row!.n;
    };

    try {
      resource[FLOOD_TENANT]!.maxInFlight = 0;
      s.log(
        `fairness${s.limit === null ? ' (tenant A unlimited, reference)' : ''}: tenant A starts ${s.floodRuns} runs (${NODES_PER_RUN} http steps, downstream ${s.downstreamMs} ms${s.limit === null ? '' : `, maxConcurrentNodes ${s.limit}`}); then tenant B ${s.quietRuns} runs one at a time`,
      );
      const floodStart = performance.now();
      await lanes(s.floodRuns, s.concurrency, (i) => startRun(FLOOD_TENANT, FLOOD_TAG, i).then(() => undefined));
      const floodStartsPerSecond = s.floodRuns / ((performance.now() - floodStart) / 1000);

      // B's next run once the previous one's first node started (its later nodes may still run).
      const backlogs: number[] = [];
      const quietStarts: number[] = [];
      for (let i = 0; i < s.quietRuns; i++) {
        backlogs.push(await backlog());
        const sent = performance.now();
        const runId = await startRun(QUIET_TENANT, QUIET_TAG, i);
        quietStarts.push(performance.now() - sent);
        await firstNodeStarted(runId);
        await sleep(100);
      }
      await settle(QUIET_TAG);
      sampling = false;
      await sampled;

      const [window] = await db.query<{ from_ms: number; to_ms: number; steps: number }>(
        `WITH quiet AS (
           SELECT min(created_at) AS from_at, max(finished_at) AS to_at FROM runs WHERE input->>'phase' = $2
         )
         SELECT (extract(epoch FROM q.from_at) * 1000)::float8 AS from_ms, (extract(epoch FROM q.to_at) * 1000)::float8 AS to_ms,
                (SELECT count(*) FROM audit_entries a WHERE a.tenant = $1 AND a.operation = 'node.succeeded'
                 AND a.at BETWEEN q.from_at AND q.to_at)::int AS steps
         FROM quiet q`,
        [FLOOD_TENANT, QUIET_TAG],
      );
      const firstNodes = await db.query<{ ready_ms: number; started_ms: number | null }>(
        `SELECT (extract(epoch FROM min(a.at) FILTER (WHERE a.operation = 'run.started')) * 1000)::float8 AS ready_ms,
                (extract(epoch FROM min(a.at) FILTER (WHERE a.operation = 'node.started')) * 1000)::float8 AS started_ms
         FROM runs r JOIN audit_entries a ON a.run_id = r.id
         WHERE r.input->>'phase' = $1 GROUP BY r.id`,
        [QUIET_TAG],
      );
      const everyNode = await db.query<{ ready_ms: number; started_ms: number | null }>(
        `SELECT (extract(epoch FROM n.queued_at) * 1000)::float8 AS ready_ms, (extract(epoch FROM n.started_at) * 1000)::float8 AS started_ms
         FROM runs r JOIN node_runs n ON n.run_id = r.id WHERE r.input->>'phase' = $1`,
        [QUIET_TAG],
      );
      const first = readinessLatencies(firstNodes.map((r) => ({ readyMs: r.ready_ms, startedMs: r.started_ms })));
      const every = readinessLatencies(everyNode.map((r) => ({ readyMs: r.ready_ms, startedMs: r.started_ms })));
      const figures: FairnessFigures = {
        limit: s.limit,
        floodRuns: s.floodRuns,
        quietRuns: s.quietRuns,
        nodesPerRun: NODES_PER_RUN,
        downstreamMs: s.downstreamMs,
        first: first.summary,
        every: every.summary,
        neverStarted: every.neverStarted,
        floodBacklogAtFirst: backlogs[0]!,
        floodBacklogAtLast: backlogs[backlogs.length - 1]!,
        quietUnderFlood: backlogs.filter((n) => n > 0).length,
        floodStartsPerSecond,
        floodStepsPerSecond: window!.steps / ((window!.to_ms - window!.from_ms) / 1000),
        floodMaxInFlight: resource[FLOOD_TENANT]!.maxInFlight,
        floodMaxSlots: maxSlots,
        floodMaxRunning: maxRunning,
        quietStartP50: percentile(quietStarts, 50),
        seconds: (Date.now() - phaseStart) / 1000,
      };
      s.log(
        `  tenant B's first node ready → started p50 ${figures.first.p50.toFixed(1)} ms, p99 ${figures.first.p99.toFixed(1)} ms, max ${figures.first.max.toFixed(1)} ms; ` +
          `A: ${figures.floodBacklogAtFirst} → ${figures.floodBacklogAtLast} nodes waiting (${figures.quietUnderFlood} of B's ${s.quietRuns} runs started under it), ${figures.floodStepsPerSecond.toFixed(1)} steps/s, at most ${figures.floodMaxInFlight} calls in flight`,
      );
      return figures;
    } finally {
      sampling = false;
      await sampled;
    }
  } finally {
    for (const { what, close } of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        s.log(`could not close ${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
