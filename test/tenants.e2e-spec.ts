import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { loadConfig } from '../libs/platform/src/index.js';
import { call, startApi, type RunningApi } from './support/api.js';
import { testEnv } from './support/config.js';
import { DevAuth, TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './support/dev-auth.js';
import { isolatedEnv } from './support/isolation.js';
import { spawnBuilt } from './support/processes.js';
import { ResourceServer } from './support/resource-server.js';
import { SseClient } from './support/sse-client.js';
import { SsfTestTransmitter } from './support/ssf-transmitter.js';
import { eventually } from './support/waiting.js';
import { startWorker } from './support/worker.js';
import { definition, httpNode } from './support/workflows.js';

/**
 * Tenants (SPEC §12.1), held against two real dev authorization servers — one per tenant — on one
 * api + worker stack: each tenant's workflows, runs, escalations and audit entries are its own, and
 * a caller of one tenant holding every Baton API scope reaches none of the other's (404), counts
 * none of them in lists, stats and exports, and hears none of them on live streams.
 */

const SCOPES = {
  workflowsWrite: 'baton:workflows:write',
  workflowsAdmin: 'baton:workflows:admin',
  runsReadAll: 'baton:runs:read_all',
  auditRead: 'baton:audit:read',
  escalationsResolve: 'baton:escalations:resolve',
};
const EVERY_API_SCOPE = Object.values(SCOPES);
const USER_SCOPES = ['expenses:read', 'expenses:write'];
const ACME_MAX_CONCURRENT_NODES = 3;
const SLOW_CALL_MS = 1500;
const SSF_AUDIENCE = 'baton-ssf';
const WEBHOOK_SECRET = { acme: 'acme-hook-secret', globex: 'globex-hook-secret' };

/** A webhook receiver per tenant: records every event posted to it. */
class WebhookReceiver {
  readonly events: { type: string; escalation: { id: string }; run: { id: string } }[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}
  static async start(): Promise<WebhookReceiver> {
    let self: WebhookReceiver;
    const server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      self.events.push(JSON.parse(body));
      res.writeHead(204).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    self = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    return self;
  }
  runIds(): string[] {
    return this.events.map((e) => e.run.id);
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

/** One tenant's block of baton.yaml: its issuer, a `corp` profile at its own AS, its hosts and webhook. */
function tenantYaml(issuer: string, tenant: 'acme' | 'globex', hookUrl: string, extra: Record<string, unknown> = {}) {
  const upper = tenant.toUpperCase();
  return {
    trustedIssuers: [{ issuer }],
    exchangeProfiles: {
      corp: {
        issuer,
        clientId: TEST_CLIENT_ID,
        clientAuth: 'client_secret_basic',
        clientSecretEnv: `${upper}_CLIENT_SECRET`,
        expirySkewSeconds: 5,
      },
      ...(extra.profiles as Record<string, unknown>),
    },
    // Each tenant may also call its own domain (and only its own): SPEC §12.1 makes `http` per tenant.
    http: { allowedHosts: ['127.0.0.1', `*.${tenant}.example.com`], audienceOrigins: { '*': ['http://127.0.0.1'] } },
    notifications: { webhookUrl: hookUrl, secretEnv: `${upper}_WEBHOOK_SECRET`, allowPrivate: true },
    ...(extra.maxConcurrentNodes !== undefined && { maxConcurrentNodes: extra.maxConcurrentNodes }),
    ...(extra.sharedSignals !== undefined && { sharedSignals: extra.sharedSignals }),
  };
}

function writeYaml(content: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'baton-tenants-')), 'baton.yaml');
  writeFileSync(path, stringify(content));
  return path;
}

const SECRETS = {
  ACME_CLIENT_SECRET: TEST_CLIENT_SECRET,
  GLOBEX_CLIENT_SECRET: TEST_CLIENT_SECRET,
  ACME_WEBHOOK_SECRET: WEBHOOK_SECRET.acme,
  GLOBEX_WEBHOOK_SECRET: WEBHOOK_SECRET.globex,
};

/** Configuration errors stop the built process at start (SPEC §2, §12.1); no issuer needs to answer for that. */
describe('tenants in baton.yaml: configuration errors (SPEC §12.1)', () => {
  const issuers = { acme: 'http://127.0.0.1:1/acme', globex: 'http://127.0.0.1:1/globex' };
  const valid = () => ({
    api: { audience: 'baton-api' },
    tenants: {
      acme: tenantYaml(issuers.acme, 'acme', 'http://127.0.0.1:1/hook'),
      globex: tenantYaml(issuers.globex, 'globex', 'http://127.0.0.1:1/hook'),
    },
  });

  /** Starts the built api on `content` and waits for it to exit (a start that does not end is a failure). */
  const startApiOn = async (content: Record<string, unknown>) => {
    const api = spawnBuilt('dist/apps/api/src/main.js', testEnv(writeYaml(content), { ...isolatedEnv(), ...SECRETS }));
    const outcome = await Promise.race([
      api.exited,
      new Promise<'still running'>((done) => setTimeout(() => done('still running'), 15_000)),
    ]);
    if (outcome === 'still running') await api.stop('SIGKILL');
    return { outcome, output: api.output() };
  };

  it('with tenants, a per-tenant key at the top level stops the api at start, naming the key', async () => {
    const { outcome, output } = await startApiOn({ ...valid(), trustedIssuers: [{ issuer: issuers.acme }] });
    expect(outcome).not.toBe('still running');
    expect(outcome).not.toBe(0);
    expect(output).toMatch(/configuration error: .*trustedIssuers/);
  });

  it('one issuer in two tenants stops the api at start, naming the issuer', async () => {
    const yaml = valid();
    yaml.tenants.globex.trustedIssuers = [{ issuer: issuers.acme }];
    const { outcome, output } = await startApiOn(yaml);
    expect(outcome).not.toBe('still running');
    expect(outcome).not.toBe(0);
    expect(output).toContain('configuration error');
    expect(output).toContain(issuers.acme);
  });
});

describe('tenants (SPEC §12.1)', () => {
  let acmeAs: DevAuth;
  let globexAs: DevAuth;
  let resource: ResourceServer;
  let acmeSignals: SsfTestTransmitter;
  const hooks = {} as { acme: WebhookReceiver; globex: WebhookReceiver };
  let yaml: Record<string, unknown>;
  let api: RunningApi;
  let worker: INestApplication;
  let db: pg.Client;
  const startedAt = new Date(Date.now() - 60_000);

  /** Tokens: a user `alice` in each tenant (same sub, different issuer), an author per tenant, and globex's all-scopes operator. */
  const tokens = {} as {
    acmeAdmin: string;
    globexAdmin: string;
    acmeAlice: string;
    globexAlice: string;
    globexOperator: string;
    acmeOperator: string;
  };
  /** What acme owns, which globex's operator then tries to reach. */
  const acme = {} as { waitingRunId: string; succeededRunId: string; escalationId: string };
  const globex = {} as { succeededRunId: string; waitingRunId: string; escalationId: string };

  const url = (path: string) => `${api.url}${path}`;
  const asGlobex = (path: string, init: { method?: string; body?: unknown } = {}) =>
    call(url(path), { ...init, token: tokens.globexOperator });
  const register = async (token: string, body: Record<string, unknown>) => {
    const response = await call(url('/v1/workflows'), { token, body });
    if (response.status !== 201)
      throw new Error(`register ${String(body.name)}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const startRun = async (token: string, workflow: string, input: Record<string, unknown> = {}) => {
    const response = await call(url(`/v1/workflows/${workflow}/runs`), { token, body: { input } });
    if (response.status !== 202)
      throw new Error(`start ${workflow}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  };
  const waitForRun = async (token: string, id: string, status: string) => {
    const run = await eventually(
      () => call(url(`/v1/runs/${id}`), { token }),
      (r) => r.body?.status === status,
      15_000,
    );
    if (run.body?.status !== status)
      throw new Error(`run ${id} is ${run.status} ${JSON.stringify(run.body)}, not ${status}`);
    return run.body;
  };
  const openEscalationOf = async (runId: string) => {
    const { rows } = await eventually(
      () => db.query(`SELECT id FROM escalations WHERE run_id = $1 AND status = 'open'`, [runId]),
      (r) => r.rows.length > 0,
      15_000,
    );
    if (!rows[0]) throw new Error(`run ${runId} has no open escalation`);
    return rows[0].id as string;
  };

  /** The oracle for "what globex owns": rows whose user (or author) is of globex's issuer, straight from Postgres. */
  const globexAuditCount = async (where = 'TRUE', values: unknown[] = []) =>
    Number(
      (
        await db.query(`SELECT count(*) AS n FROM audit_entries WHERE issuer = $1 AND ${where}`, [
          globexAs.issuer,
          ...values,
        ])
      ).rows[0].n,
    );
  const acmeRunIds = async () =>
    (await db.query(`SELECT id FROM runs WHERE user_iss = $1`, [acmeAs.issuer])).rows.map((r) => r.id as string);
  const globexRunIds = async () =>
    (await db.query(`SELECT id FROM runs WHERE user_iss = $1`, [globexAs.issuer])).rows.map((r) => r.id as string);

  beforeAll(async () => {
    [acmeAs, globexAs, resource, hooks.acme, hooks.globex] = await Promise.all([
      DevAuth.start(),
      DevAuth.start(),
      ResourceServer.start(),
      WebhookReceiver.start(),
      WebhookReceiver.start(),
    ]);
    acmeSignals = await SsfTestTransmitter.start();
    yaml = {
      api: { audience: 'baton-api' },
      escalationTtlSeconds: 86400,
      maxDelegationDepth: 3,
      tenants: {
        acme: tenantYaml(acmeAs.issuer, 'acme', hooks.acme.url, {
          maxConcurrentNodes: ACME_MAX_CONCURRENT_NODES,
          // acme's Shared Signals transmitter speaks of acme's users only (SPEC §10.1 with §12.1).
          sharedSignals: {
            audience: SSF_AUDIENCE,
            transmitters: [{ issuer: acmeSignals.issuer, subjectIssuer: acmeAs.issuer }],
          },
          // A profile globex does not have (a globex workflow naming it answers 422).
          profiles: {
            ledger: {
              issuer: acmeAs.issuer,
              clientId: TEST_CLIENT_ID,
              clientAuth: 'client_secret_post',
              clientSecretEnv: 'ACME_CLIENT_SECRET',
            },
          },
        }),
        globex: tenantYaml(globexAs.issuer, 'globex', hooks.globex.url),
      },
    };
    const config = loadConfig(testEnv(writeYaml(yaml), { ...isolatedEnv(), ...SECRETS }));
    api = await startApi(config);
    worker = await startWorker(config);
    db = new pg.Client({ connectionString: config.databaseUrl });
    await db.connect();

    resource.on('GET', '/acme/reports/1', { status: 200, body: { total: 100 } });
    resource.on('GET', '/globex/reports/1', { status: 200, body: { total: 200 } });
    resource.on('GET', '/acme/slow', { status: 200, body: { ok: true }, delayMs: SLOW_CALL_MS });

    [
      tokens.acmeAdmin,
      tokens.globexAdmin,
      tokens.acmeAlice,
      tokens.globexAlice,
      tokens.globexOperator,
      tokens.acmeOperator,
    ] = await Promise.all([
      acmeAs.mintToken('acme-author', [SCOPES.workflowsWrite]),
      globexAs.mintToken('globex-author', [SCOPES.workflowsWrite]),
      acmeAs.mintToken('alice', USER_SCOPES),
      globexAs.mintToken('alice', USER_SCOPES),
      globexAs.mintToken('globex-operator', [...EVERY_API_SCOPE, ...USER_SCOPES]),
      acmeAs.mintToken('acme-operator', [...EVERY_API_SCOPE, ...USER_SCOPES]),
    ]);

    // acme: `expense` twice (fetch, then a manager's approval), two workflows of its own.
    const acmeExpense = (description: string) =>
      definition(
        'expense',
        [
          httpNode('fetch', `${resource.url}/acme/reports/{{input.reportId}}`),
          { id: 'approve', type: 'approval', dependsOn: ['fetch'], approval: { prompt: 'Pay {{input.reportId}}?' } },
        ],
        { description },
      );
    await register(tokens.acmeAdmin, acmeExpense('acme: fetch and approve'));
    await register(tokens.acmeAdmin, acmeExpense('acme: fetch and approve, v2'));
    await register(tokens.acmeAdmin, definition('acme-payroll', [httpNode('pay', `${resource.url}/acme/reports/1`)]));
    await register(
      tokens.acmeAdmin,
      definition('acme-claims', [httpNode('claim', `${resource.url}/acme/reports/1`)], { description: 'acme claims' }),
    );
    await register(tokens.acmeAdmin, definition('acme-slow', [httpNode('slow', `${resource.url}/acme/slow`)]));
    // globex: its own `expense` (one fetch, no approval) and an approval workflow.
    await register(
      tokens.globexAdmin,
      definition('expense', [httpNode('fetch', `${resource.url}/globex/reports/{{input.reportId}}`)], {
        description: 'globex: fetch only',
      }),
    );
    await register(
      tokens.globexAdmin,
      definition('review', [{ id: 'ok', type: 'approval', approval: { prompt: 'OK?' } }]),
    );

    acme.waitingRunId = await startRun(tokens.acmeAlice, 'expense', { reportId: 1 });
    acme.succeededRunId = await startRun(tokens.acmeAlice, 'acme-payroll');
    globex.succeededRunId = await startRun(tokens.globexAlice, 'expense', { reportId: 1 });
    globex.waitingRunId = await startRun(tokens.globexAlice, 'review');
    await waitForRun(tokens.acmeAlice, acme.waitingRunId, 'waiting_for_human');
    await waitForRun(tokens.acmeAlice, acme.succeededRunId, 'succeeded');
    await waitForRun(tokens.globexAlice, globex.succeededRunId, 'succeeded');
    await waitForRun(tokens.globexAlice, globex.waitingRunId, 'waiting_for_human');
    acme.escalationId = await openEscalationOf(acme.waitingRunId);
    globex.escalationId = await openEscalationOf(globex.waitingRunId);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await db?.end();
    await Promise.all([
      resource?.close(),
      hooks.acme?.close(),
      hooks.globex?.close(),
      acmeAs?.close(),
      globexAs?.close(),
    ]);
  });

  describe('one workflow name in two tenants is two workflows', () => {
    it('each tenant reads its own definition and versions of `expense`', async () => {
      const acmeLatest = await call(url('/v1/workflows/expense'), { token: tokens.acmeAlice });
      expect(acmeLatest.status).toBe(200);
      expect(acmeLatest.body).toMatchObject({
        name: 'expense',
        version: 2,
        description: 'acme: fetch and approve, v2',
      });
      expect(acmeLatest.body.nodes.map((n: { id: string }) => n.id)).toEqual(['fetch', 'approve']);

      const globexLatest = await call(url('/v1/workflows/expense'), { token: tokens.globexAlice });
      expect(globexLatest.status).toBe(200);
      expect(globexLatest.body).toMatchObject({ name: 'expense', version: 1, description: 'globex: fetch only' });
      expect(globexLatest.body.nodes.map((n: { id: string }) => n.id)).toEqual(['fetch']);

      // Versions are counted per tenant: globex's `expense` has no version 2, acme's version 1 is acme's.
      expect((await call(url('/v1/workflows/expense/versions/2'), { token: tokens.globexAlice })).status).toBe(404);
      const acmeFirst = await call(url('/v1/workflows/expense/versions/1'), { token: tokens.acmeAlice });
      expect(acmeFirst.body).toMatchObject({ version: 1, description: 'acme: fetch and approve' });
    });

    it("each tenant's workflow list holds its own workflows only", async () => {
      const names = async (token: string) =>
        ((await call(url('/v1/workflows?limit=200'), { token })).body.items as { name: string }[])
          .map((w) => w.name)
          .sort();
      expect(await names(tokens.acmeAlice)).toEqual(['acme-claims', 'acme-payroll', 'acme-slow', 'expense']);
      expect(await names(tokens.globexAlice)).toEqual(['expense', 'review']);
    });

    it("a run pins its own tenant's version", async () => {
      const acmeRun = await call(url(`/v1/runs/${acme.waitingRunId}`), { token: tokens.acmeAlice });
      expect(acmeRun.body.workflow).toEqual({ name: 'expense', version: 2 });
      expect(acmeRun.body.nodes.map((n: { id: string }) => n.id)).toEqual(['fetch', 'approve']);
      const globexRun = await call(url(`/v1/runs/${globex.succeededRunId}`), { token: tokens.globexAlice });
      expect(globexRun.body.workflow).toEqual({ name: 'expense', version: 1 });
      expect(globexRun.body.nodes.map((n: { id: string }) => n.id)).toEqual(['fetch']);
    });
  });

  it("a run exchanges at its own tenant's authorization server: the downstream sees that server's token", async () => {
    const issuersSeenAt = (path: string) =>
      resource.seen('GET', path).map((r) => decodeJwt(String(r.headers.authorization).replace(/^Bearer /, '')).iss);
    expect(issuersSeenAt('/acme/reports/1').length).toBeGreaterThan(0);
    expect(new Set(issuersSeenAt('/acme/reports/1'))).toEqual(new Set([acmeAs.issuer]));
    expect(issuersSeenAt('/globex/reports/1').length).toBeGreaterThan(0);
    expect(new Set(issuersSeenAt('/globex/reports/1'))).toEqual(new Set([globexAs.issuer]));
    // One fresh run per tenant: each exchange reaches that tenant's authorization server, never the other's.
    for (const [own, other, workflow] of [
      [acmeAs, globexAs, 'acme-payroll'],
      [globexAs, acmeAs, 'expense'],
    ] as const) {
      await Promise.all([own.resetStats(), other.resetStats()]);
      const token = await own.mintToken('bob', USER_SCOPES);
      await waitForRun(token, await startRun(token, workflow, { reportId: 1 }), 'succeeded');
      expect((await own.stats()).exchanges.map((e) => e.sub)).toEqual(['bob']);
      expect((await other.stats()).exchanges).toEqual([]);
    }
  });

  it("a workflow naming another tenant's profile answers 422 and creates nothing; the owning tenant may", async () => {
    const usesLedger = definition('uses-ledger', [httpNode('fetch', `${resource.url}/globex/reports/1`)], {
      defaults: { oauth: { profile: 'ledger' }, retry: { maxAttempts: 1, backoffMs: 50 }, timeoutMs: 5000 },
    });
    const refused = await call(url('/v1/workflows'), { token: tokens.globexAdmin, body: usesLedger });
    expect(refused.status).toBe(422);
    expect(refused.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(refused.body.errors)).toContain('ledger');
    expect((await call(url('/v1/workflows/uses-ledger'), { token: tokens.globexAdmin })).status).toBe(404);
    const { rows } = await db.query(`SELECT count(*) AS n FROM workflows WHERE name = 'uses-ledger'`);
    expect(Number(rows[0].n)).toBe(0);
    // The same definition is acme's to post: the profile is acme's.
    const accepted = await call(url('/v1/workflows'), {
      token: tokens.acmeAdmin,
      body: { ...usesLedger, nodes: [httpNode('fetch', `${resource.url}/acme/reports/1`)] },
    });
    expect(accepted.status).toBe(201);
  });

  it("a workflow may call only its own tenant's allowed hosts (422 for another tenant's)", async () => {
    // No oauth: only the host is in question, no audience binding.
    const ping = (name: string) =>
      definition(name, [
        { id: 'ping', type: 'http', request: { method: 'GET', url: 'https://api.acme.example.com/ping' } },
      ]);
    const refused = await call(url('/v1/workflows'), { token: tokens.globexAdmin, body: ping('ping-acme') });
    expect(refused.status).toBe(422);
    expect((refused.body.errors as { path: string }[]).map((e) => e.path)).toContain('$.nodes[0].request.url');
    expect((await call(url('/v1/workflows/ping-acme'), { token: tokens.globexAdmin })).status).toBe(404);
    expect((await call(url('/v1/workflows'), { token: tokens.acmeAdmin, body: ping('ping-acme') })).status).toBe(201);
  });

  it('run views and audit entries carry their tenant', async () => {
    const acmeRun = await call(url(`/v1/runs/${acme.waitingRunId}`), { token: tokens.acmeAlice });
    expect(acmeRun.body.tenant).toBe('acme');
    const globexRun = await call(url(`/v1/runs/${globex.succeededRunId}`), { token: tokens.globexAlice });
    expect(globexRun.body.tenant).toBe('globex');
    const acmeList = await call(url('/v1/runs?limit=200'), { token: tokens.acmeOperator });
    expect(acmeList.body.items.length).toBeGreaterThan(0);
    for (const run of acmeList.body.items) expect(run.tenant).toBe('acme');
    const trail = await call(url(`/v1/runs/${acme.waitingRunId}/audit`), { token: tokens.acmeAlice });
    expect(trail.body.items.length).toBeGreaterThan(0);
    for (const entry of trail.body.items) expect(entry.tenant).toBe('acme');
    const globexAudit = await call(url('/v1/audit?limit=200'), { token: tokens.globexOperator });
    expect(globexAudit.body.items.length).toBeGreaterThan(0);
    for (const entry of globexAudit.body.items) expect(entry.tenant).toBe('globex');
    // The live snapshot is a run view too.
    const stream = await SseClient.connect(url(`/v1/runs/${acme.waitingRunId}/events`), { token: tokens.acmeAlice });
    try {
      const [snapshot] = await stream.until((events) => events.length > 0, 5000);
      expect(snapshot).toMatchObject({ event: 'snapshot', data: { id: acme.waitingRunId, tenant: 'acme' } });
    } finally {
      stream.close();
    }
  });

  it("a tenant's escalation webhooks go to that tenant's webhookUrl only", async () => {
    await eventually(
      async () => [hooks.acme.runIds(), hooks.globex.runIds()],
      ([a, g]) => a!.includes(acme.waitingRunId) && g!.includes(globex.waitingRunId),
      10_000,
    );
    expect(hooks.acme.events).toContainEqual(
      expect.objectContaining({
        type: 'escalation.opened',
        escalation: expect.objectContaining({ id: acme.escalationId }),
      }),
    );
    expect(hooks.globex.events).toContainEqual(
      expect.objectContaining({
        type: 'escalation.opened',
        escalation: expect.objectContaining({ id: globex.escalationId }),
      }),
    );
    const acmeRuns = new Set(await acmeRunIds());
    const globexRuns = new Set(await globexRunIds());
    for (const id of hooks.acme.runIds()) expect(acmeRuns.has(id)).toBe(true);
    for (const id of hooks.globex.runIds()) expect(globexRuns.has(id)).toBe(true);
  });

  it('the same Idempotency-Key from the same sub in two tenants starts two runs (a user is iss and sub)', async () => {
    const start = (token: string) =>
      call(url('/v1/workflows/expense/runs'), {
        token,
        body: { input: { reportId: 1 } },
        headers: { 'idempotency-key': 'same-key' },
      });
    const fromAcme = await start(tokens.acmeAlice);
    const fromGlobex = await start(tokens.globexAlice);
    expect([fromAcme.status, fromGlobex.status]).toEqual([202, 202]);
    expect(fromAcme.body.id).not.toBe(fromGlobex.body.id);
    expect(fromGlobex.body.workflow).toEqual({ name: 'expense', version: 1 });
    expect(fromAcme.body.workflow).toEqual({ name: 'expense', version: 2 });
    await waitForRun(tokens.globexAlice, fromGlobex.body.id, 'succeeded');
    await waitForRun(tokens.acmeAlice, fromAcme.body.id, 'waiting_for_human');
  });

  /**
   * THE cross-tenant test: globex's operator holds every Baton API scope and tries every route with
   * acme's names, ids and filters. Ids answer 404; lists, stats, exports and streams leave acme out
   * (their counts equal what globex owns, from Postgres). Each route of the OpenAPI document has an
   * entry here or a reason it names no tenant's resource, so a new route without a check fails.
   */
  describe("globex's all-scopes operator never sees, counts or reaches acme's resources", () => {
    const unchanged = async () => {
      const run = await call(url(`/v1/runs/${acme.waitingRunId}`), { token: tokens.acmeAlice });
      expect(run.body.status).toBe('waiting_for_human');
      const escalation = await call(url(`/v1/escalations/${acme.escalationId}`), { token: tokens.acmeAlice });
      expect(escalation.body.status).toBe('open');
    };
    const expectNotFound = (response: { status: number; contentType: string }) => {
      expect(response.status).toBe(404);
      expect(response.contentType).toMatch(/^application\/problem\+json/);
    };
    const auditItems = async (query: string) => {
      const response = await asGlobex(`/v1/audit?limit=200&${query}`);
      expect(response.status).toBe(200);
      expect(response.body.nextCursor).toBeNull();
      return response.body.items as { runId: string | null; issuer: string; tenant?: string }[];
    };
    const acmeIds = async () => new Set(await acmeRunIds());

    const checks: Record<string, () => Promise<void>> = {
      'POST /v1/workflows': async () => {
        // acme's name posted by globex is globex's own first version; acme's stays as it was.
        const posted = await asGlobex('/v1/workflows', {
          body: definition('acme-claims', [httpNode('claim', `${resource.url}/globex/reports/1`)], {
            description: 'globex claims',
          }),
        });
        expect(posted.status).toBe(201);
        expect(posted.body.version).toBe(1);
        expect(posted.body.scopeChanges.previousVersion).toBeNull();
        const acmeOwn = await call(url('/v1/workflows/acme-claims'), { token: tokens.acmeAlice });
        expect(acmeOwn.body).toMatchObject({ version: 1, description: 'acme claims' });
      },
      'GET /v1/workflows': async () => {
        const listed = await asGlobex('/v1/workflows?limit=200');
        const names: string[] = listed.body.items.map((w: { name: string }) => w.name);
        expect(names).not.toContain('acme-payroll');
        expect(listed.body.items.find((w: { name: string }) => w.name === 'expense')).toMatchObject({ version: 1 });
      },
      'GET /v1/workflows/{name}': async () => {
        expectNotFound(await asGlobex('/v1/workflows/acme-payroll'));
      },
      'GET /v1/workflows/{name}/versions/{version}': async () => {
        expectNotFound(await asGlobex('/v1/workflows/acme-payroll/versions/1'));
        expectNotFound(await asGlobex('/v1/workflows/expense/versions/2'));
      },
      'POST /v1/workflows/{name}/runs': async () => {
        const before = (await acmeIds()).size;
        expectNotFound(await asGlobex('/v1/workflows/acme-payroll/runs', { body: { input: {} } }));
        const { rows } = await db.query(
          `SELECT count(*) AS n FROM runs WHERE workflow_name = 'acme-payroll' AND user_iss = $1`,
          [globexAs.issuer],
        );
        expect(Number(rows[0].n)).toBe(0);
        expect((await acmeIds()).size).toBe(before);
      },
      'POST /v1/workflows/{name}/preflight': async () => {
        const before = await globexAuditCount(`operation = 'workflow.preflight'`);
        expectNotFound(await asGlobex('/v1/workflows/acme-payroll/preflight', { body: {} }));
        expect(await globexAuditCount(`operation = 'workflow.preflight'`)).toBe(before);
      },
      'GET /v1/runs': async () => {
        const own = new Set(await globexRunIds());
        const listed = await asGlobex('/v1/runs?limit=200');
        expect(new Set(listed.body.items.map((r: { id: string }) => r.id))).toEqual(own);
        expect((await asGlobex('/v1/runs?workflow=acme-payroll')).body.items).toEqual([]);
        const waiting = await asGlobex('/v1/runs?status=waiting_for_human&limit=200');
        for (const run of waiting.body.items) expect(own.has(run.id)).toBe(true);
        const expense = await asGlobex('/v1/runs?workflow=expense&limit=200');
        expect(expense.body.items.length).toBeGreaterThan(0);
        for (const run of expense.body.items) expect(own.has(run.id)).toBe(true);
        const roots = await asGlobex('/v1/runs?rootOnly=true&limit=200');
        for (const run of roots.body.items) expect(own.has(run.id)).toBe(true);
      },
      'GET /v1/runs/{id}': async () => {
        expectNotFound(await asGlobex(`/v1/runs/${acme.waitingRunId}`));
        expectNotFound(await asGlobex(`/v1/runs/${acme.succeededRunId}`));
      },
      'POST /v1/runs/{id}/cancel': async () => {
        expectNotFound(await asGlobex(`/v1/runs/${acme.waitingRunId}/cancel`, { method: 'POST' }));
        await unchanged();
      },
      'GET /v1/runs/{id}/audit': async () => {
        expectNotFound(await asGlobex(`/v1/runs/${acme.waitingRunId}/audit`));
      },
      'GET /v1/runs/{id}/audit/verify': async () => {
        expectNotFound(await asGlobex(`/v1/runs/${acme.succeededRunId}/audit/verify`));
      },
      'GET /v1/runs/{id}/events': async () => {
        const opened = await SseClient.open(url(`/v1/runs/${acme.waitingRunId}/events`), {
          token: tokens.globexOperator,
        });
        if (opened instanceof SseClient) opened.close();
        expect(opened instanceof SseClient ? 200 : opened.status).toBe(404);
      },
      'GET /v1/escalations': async () => {
        const { rows } = await db.query(
          `SELECT e.id FROM escalations e JOIN runs r ON r.id = e.run_id WHERE r.user_iss = $1 AND e.status = 'open'`,
          [globexAs.issuer],
        );
        const listed = await asGlobex('/v1/escalations?limit=200');
        expect(new Set(listed.body.items.map((e: { id: string }) => e.id))).toEqual(new Set(rows.map((r) => r.id)));
        expect(listed.body.items.map((e: { id: string }) => e.id)).toContain(globex.escalationId);
        expect((await asGlobex(`/v1/escalations?runId=${acme.waitingRunId}`)).body.items).toEqual([]);
        expect((await asGlobex(`/v1/escalations?workflow=expense&status=open`)).body.items).toEqual([]);
        const approvals = await asGlobex('/v1/escalations?reason=approval_required&limit=200');
        expect(approvals.body.items.map((e: { id: string }) => e.id)).not.toContain(acme.escalationId);
      },
      'GET /v1/escalations/{id}': async () => {
        expectNotFound(await asGlobex(`/v1/escalations/${acme.escalationId}`));
      },
      'POST /v1/escalations/{id}/resolve': async () => {
        expectNotFound(
          await asGlobex(`/v1/escalations/${acme.escalationId}/resolve`, { body: { action: 'approve', note: 'x' } }),
        );
        expectNotFound(await asGlobex(`/v1/escalations/${acme.escalationId}/resolve`, { body: { action: 'abort' } }));
        await unchanged();
      },
      'GET /v1/audit': async () => {
        const expected = await globexAuditCount();
        const all = await auditItems('');
        expect(all.length).toBe(expected);
        const acmeRuns = await acmeIds();
        expect(all.filter((e) => e.runId && acmeRuns.has(e.runId))).toEqual([]);
        expect(all.filter((e) => e.issuer !== globexAs.issuer)).toEqual([]);
        expect(await auditItems(`runId=${acme.waitingRunId}`)).toEqual([]);
        expect(await auditItems(`rootRunId=${acme.waitingRunId}`)).toEqual([]);
        expect(await auditItems('workflow=acme-payroll')).toEqual([]);
        expect(await auditItems(`issuer=${encodeURIComponent(acmeAs.issuer)}`)).toEqual([]);
        expect(await auditItems(`userId=alice&issuer=${encodeURIComponent(acmeAs.issuer)}`)).toEqual([]);
        // `alice` exists in both tenants: globex counts its own alice only.
        expect((await auditItems('userId=alice')).length).toBe(await globexAuditCount(`user_id = 'alice'`));
        expect((await auditItems('workflow=expense')).length).toBe(await globexAuditCount(`workflow = 'expense'`));
      },
      'GET /v1/audit/stats': async () => {
        const from = new Date(
          Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - 1),
        );
        const to = new Date(from.getTime() + 3 * 86_400_000);
        const range = `from=${from.toISOString()}&to=${to.toISOString()}&bucket=day`;
        const total = (items: { success: number; failure: number }[]) =>
          items.reduce((n, i) => n + i.success + i.failure, 0);
        const byWorkflow = await asGlobex(`/v1/audit/stats?${range}&groupBy=workflow`);
        expect(byWorkflow.status).toBe(200);
        expect(total(byWorkflow.body.items)).toBe(await globexAuditCount());
        const groups = byWorkflow.body.items.map((i: { group: string | null }) => i.group);
        expect(groups).not.toContain('acme-payroll');
        const byUser = await asGlobex(`/v1/audit/stats?${range}&groupBy=userId`);
        expect(byUser.body.items.map((i: { group: string | null }) => i.group)).not.toContain('acme-author');
        expect(total(byUser.body.items.filter((i: { group: string }) => i.group === 'alice'))).toBe(
          await globexAuditCount(`user_id = 'alice'`),
        );
        const acmeIssuer = await asGlobex(
          `/v1/audit/stats?${range}&groupBy=operation&issuer=${encodeURIComponent(acmeAs.issuer)}`,
        );
        expect(total(acmeIssuer.body.items)).toBe(0);
      },
      'GET /v1/audit/export': async () => {
        const lines = async (query: string) => {
          const response = await fetch(url(`/v1/audit/export?format=ndjson&${query}`), {
            headers: { authorization: `Bearer ${tokens.globexOperator}` },
          });
          expect(response.status).toBe(200);
          return (await response.text())
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { runId: string | null; issuer: string });
        };
        const expected = await globexAuditCount();
        const all = await lines('');
        expect(all.length).toBe(expected);
        const acmeRuns = await acmeIds();
        expect(all.filter((e) => (e.runId && acmeRuns.has(e.runId)) || e.issuer !== globexAs.issuer)).toEqual([]);
        expect(await lines(`runId=${acme.waitingRunId}`)).toEqual([]);
        expect(await lines(`rootRunId=${acme.waitingRunId}`)).toEqual([]);
        expect(await lines('workflow=acme-payroll')).toEqual([]);
      },
      'GET /v1/audit/stream': async () => {
        // From the suite's start: a replay of every matching entry so far, then live ones.
        const stream = await SseClient.connect(url(`/v1/audit/stream?from=${startedAt.toISOString()}`), {
          token: tokens.globexOperator,
        });
        const filtered = await SseClient.connect(
          url(`/v1/audit/stream?from=${startedAt.toISOString()}&runId=${acme.waitingRunId}`),
          { token: tokens.globexOperator },
        );
        try {
          // Fresh activity in both tenants: acme's first, then a globex sentinel run.
          const acmeLive = await startRun(tokens.acmeAlice, 'acme-payroll');
          await waitForRun(tokens.acmeAlice, acmeLive, 'succeeded');
          const sentinel = await startRun(tokens.globexAlice, 'expense', { reportId: 1 });
          await waitForRun(tokens.globexAlice, sentinel, 'succeeded');
          await stream.until((events) =>
            events.some((e) => e.data.runId === sentinel && e.data.operation === 'run.succeeded'),
          );
          const heard = stream.audits() as { runId: string | null; issuer: string }[];
          expect(heard.some((e) => e.runId === sentinel)).toBe(true);
          const acmeRuns = await acmeIds();
          expect(acmeRuns.has(acmeLive)).toBe(true);
          expect(heard.filter((e) => (e.runId && acmeRuns.has(e.runId)) || e.issuer !== globexAs.issuer)).toEqual([]);
          expect(filtered.audits()).toEqual([]);
        } finally {
          stream.close();
          filtered.close();
        }
      },
    };

    /** Routes that name no tenant's resource, each with the reason it needs no cross-tenant check here. */
    const noTenantResource: Record<string, string> = {
      'GET /health/live': 'no authentication, no resource',
      'GET /health/ready': 'no authentication, no resource',
      'GET /metrics': 'deployment-wide Prometheus counters, no resource ids or rows',
      'GET /.well-known/jwks.json': "Baton's public actor keys (SPEC §9.3), no tenant's resource",
      'POST /v1/ssf/events':
        'no user token: a SET is authenticated by its transmitter, whose tenant it reaches (SPEC §10.1)',
    };

    /** Every route the api serves: the OpenAPI document's, and the router's (controllers kept out of the document too). */
    const servedRoutes = async (): Promise<{ documented: string[]; routed: string[] }> => {
      const document = (await (await fetch(url('/docs-json'))).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const verbs = ['get', 'post', 'put', 'patch', 'delete'];
      const documented = Object.entries(document.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((verb) => verbs.includes(verb))
          .map((verb) => `${verb.toUpperCase()} ${path}`),
      );
      type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> } };
      const router = (api.app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } }).router;
      const routed = router.stack.flatMap(({ route }) =>
        route
          ? [route.path].flat().flatMap((path) =>
              Object.keys(route.methods)
                .filter((verb) => verbs.includes(verb))
                .map((verb) => `${verb.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`),
            )
          : [],
      );
      return { documented, routed };
    };

    it('every route the api serves has a cross-tenant check here (or a reason it names no resource)', async () => {
      const { documented, routed } = await servedRoutes();
      const routes = [...new Set([...documented, ...routed])].filter((r) => !/ \/(docs|console)\b/.test(r)); // the OpenAPI UI and the console's static files;
      expect(routed).toContain('GET /v1/runs/{id}');
      expect(documented).toContain('GET /v1/runs/{id}');
      const uncovered = routes.filter((route) => !(route in checks) && !(route in noTenantResource));
      expect(uncovered).toEqual([]);
      // And nothing listed here is a route the api no longer serves (a renamed path).
      expect([...Object.keys(checks), ...Object.keys(noTenantResource)].filter((r) => !routes.includes(r))).toEqual([]);
    });

    it.each(Object.keys(checks))('%s', async (route) => {
      await checks[route]!();
    });

    it("acme's own caller still reaches everything globex's could not", async () => {
      const token = tokens.acmeOperator;
      expect((await call(url(`/v1/runs/${acme.waitingRunId}`), { token })).status).toBe(200);
      expect((await call(url(`/v1/escalations/${acme.escalationId}`), { token })).status).toBe(200);
      expect((await call(url(`/v1/runs/${acme.succeededRunId}/audit/verify`), { token })).body.valid).toBe(true);
      expect((await call(url('/v1/workflows/acme-payroll'), { token })).status).toBe(200);
      const audit = await call(url(`/v1/audit?limit=200&runId=${acme.waitingRunId}`), { token });
      expect(audit.body.items.length).toBeGreaterThan(0);
    });
  });

  /**
   * Late, because it cuts off acme's `alice` (SPEC §10.3): a revoking event from acme's transmitter
   * reaches acme's alice only — globex's alice (same sub, other issuer) keeps her runs and her token,
   * and the security event is in acme's trail, not globex's.
   */
  it("a Shared Signals event of acme's transmitter revokes acme's alice only", async () => {
    const acmeAliceRuns = (
      await db.query(
        `SELECT id FROM runs WHERE user_iss = $1 AND user_sub = 'alice' AND status = 'waiting_for_human'`,
        [acmeAs.issuer],
      )
    ).rows.map((r) => r.id as string);
    expect(acmeAliceRuns).toContain(acme.waitingRunId);
    const set = await acmeSignals.set(SSF_AUDIENCE, 'alice', {
      claims: { sub_id: { format: 'iss_sub', iss: acmeAs.issuer, sub: 'alice' } },
    });
    const pushed = await fetch(url('/v1/ssf/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt' },
      body: set,
    });
    expect(pushed.status).toBe(202);
    const applied = await eventually(
      async () =>
        (await db.query(`SELECT run_id FROM audit_entries WHERE operation = 'security_event.applied'`)).rows.map(
          (r) => r.run_id as string,
        ),
      (ids) => ids.length >= acmeAliceRuns.length,
      5000,
    );
    expect(applied.sort()).toEqual([...acmeAliceRuns].sort());
    // acme's alice is cut off; globex's alice is not, and her waiting run still holds its subject token.
    expect((await call(url(`/v1/runs/${acme.waitingRunId}`), { token: tokens.acmeAlice })).status).toBe(401);
    expect((await call(url(`/v1/runs/${globex.waitingRunId}`), { token: tokens.globexAlice })).status).toBe(200);
    const { rows } = await db.query(`SELECT subject_token_ciphertext IS NOT NULL AS held FROM runs WHERE id = $1`, [
      globex.waitingRunId,
    ]);
    expect(rows[0].held).toBe(true);
    // The event is acme's to read.
    const operations = async (token: string) =>
      (
        (
          await call(url('/v1/audit?limit=200&operation=security_event.received&operation=security_event.applied'), {
            token,
          })
        ).body.items as { operation: string; tenant: string }[]
      ).map((e) => `${e.tenant} ${e.operation}`);
    expect(await operations(tokens.globexOperator)).toEqual([]);
    expect(new Set(await operations(tokens.acmeOperator))).toEqual(
      new Set(['acme security_event.received', 'acme security_event.applied']),
    );
  });

  /**
   * Last, because it leaves acme's queue full: acme floods more runs than a worker runs nodes at once,
   * each held downstream; acme never has more than its `maxConcurrentNodes` running, and globex's
   * node still starts within 1 s of becoming ready (SPEC §12.1).
   */
  it("maxConcurrentNodes: a tenant flooding the queue runs at most that many nodes at once and never starves another's", async () => {
    const FLOOD = 60;
    const started = Date.now();
    const flooder = await acmeAs.mintToken('flooder', USER_SCOPES);
    await Promise.all(Array.from({ length: FLOOD }, () => startRun(flooder, 'acme-slow')));
    await eventually(
      async () => resource.seen('GET', '/acme/slow').length,
      (n) => n >= ACME_MAX_CONCURRENT_NODES,
      10_000,
    );
    const victim = await startRun(tokens.globexAlice, 'expense', { reportId: 1 });
    await waitForRun(tokens.globexAlice, victim, 'succeeded');
    const { rows } = await db.query(
      `SELECT operation, at FROM audit_entries WHERE run_id = $1 AND operation IN ('run.started', 'node.started') ORDER BY run_seq`,
      [victim],
    );
    const at = (operation: string) => new Date(rows.find((r) => r.operation === operation)!.at).getTime();
    expect(at('node.started') - at('run.started')).toBeLessThanOrEqual(1000);

    // Downstream calls overlapping in time are nodes running at once: never more than acme's limit.
    await new Promise((r) => setTimeout(r, Math.max(0, started + 3 * SLOW_CALL_MS - Date.now())));
    const arrivals = resource
      .seen('GET', '/acme/slow')
      .filter((r) => r.at >= started)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    expect(arrivals.length).toBeGreaterThanOrEqual(ACME_MAX_CONCURRENT_NODES);
    // A call arriving within SLOW_CALL_MS of another overlaps it (each is held that long); margin for timers.
    const overlapping = arrivals.map((t) => arrivals.filter((u) => u >= t && u < t + SLOW_CALL_MS - 100).length);
    expect(Math.max(...overlapping)).toBeLessThanOrEqual(ACME_MAX_CONCURRENT_NODES);
  }, 30_000);
});
