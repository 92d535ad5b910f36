import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { call } from './support/api.js';
import { definition } from './support/workflows.js';
import { RunStack } from './support/run-stack.js';

const AUD_A = 'https://a.example.com';
const AUD_B = 'https://b.example.com';
const AUD_C = 'https://c.example.com';

describe('durable execution with per-node token exchange (SPEC §4)', () => {
  let stack: RunStack;
  let userToken: string;

  beforeAll(async () => {
    stack = await RunStack.start();
    const base = stack.resource.url;
    stack.resource.on('GET', '/items/42', { status: 200, body: { name: 'widget/blue', total: 99 } });
    stack.resource.on('GET', '/prices', { status: 200, body: { total: 120.5 } });
    stack.resource.on('POST', '/orders/widget%2Fblue', { status: 201, body: { order: 'o-1' } });
    await stack.register(
      definition('dag', [
        {
          id: 'item',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], optionalScopes: ['items:notify', 'items:never'], audience: AUD_A },
          request: { method: 'GET', url: `${base}/items/{{input.id}}` },
        },
        {
          id: 'price',
          type: 'http',
          oauth: { requiredScopes: ['prices:read'], audience: AUD_B },
          request: { method: 'GET', url: `${base}/prices`, query: { id: '{{input.id}}' } },
        },
        {
          id: 'order',
          type: 'http',
          dependsOn: ['item', 'price'],
          oauth: { requiredScopes: ['orders:write'], audience: AUD_C },
          request: {
            method: 'POST',
            url: `${base}/orders/{{nodes.item.output.body.name}}`,
            body: { total: '{{nodes.price.output.body.total}}', id: '{{input.id}}', note: 'item {{input.id}}' },
          },
        },
      ]),
    );
    userToken = await stack.auth.mintToken('alice', [
      'items:read',
      'items:notify',
      'prices:read',
      'orders:write',
      'mail:send',
      'openid',
    ]);
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.auth.clearFaults());

  it('runs a DAG (two parallel nodes and a join) with a least-privilege, audience-bound token per node', async () => {
    const started = await stack.startRun('dag', userToken, { id: 42 });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/runs/${started.body.id}`);
    expect(started.body).toMatchObject({ status: 'pending', workflow: { name: 'dag', version: 1 } });
    const runId = started.body.id;

    const run = await stack.waitForRun(runId, userToken, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    expect(run.nodes.map((n: { id: string; status: string }) => [n.id, n.status])).toEqual([
      ['item', 'succeeded'],
      ['price', 'succeeded'],
      ['order', 'succeeded'],
    ]);
    expect(run.nodes[0].grantedScopes).toEqual(['items:read', 'items:notify']);

    const [item] = stack.resource.seen('GET', '/items/42');
    const [price] = stack.resource.seen('GET', '/prices');
    const [order] = stack.resource.seen('POST', '/orders/widget%2Fblue');
    const claims = (r: typeof item) => decodeJwt(String(r!.headers.authorization).replace(/^Bearer /, ''));
    expect(claims(item)).toMatchObject({ aud: AUD_A, scope: 'items:read items:notify', sub: 'alice' });
    expect(claims(price)).toMatchObject({ aud: AUD_B, scope: 'prices:read' });
    expect(claims(order)).toMatchObject({ aud: AUD_C, scope: 'orders:write' });
    for (const r of [item, price, order]) expect(String(claims(r).scope)).not.toMatch(/mail:send|openid/);
    expect(item!.headers['idempotency-key']).toBe(`${runId}:item`);
    expect(order!.headers['idempotency-key']).toBe(`${runId}:order`);
    expect(price!.query).toBe('?id=42');
    expect(order!.body).toEqual({ total: 120.5, id: 42, note: 'item 42' }); // exact templates keep their JSON type
    expect(run.nodes[2].output).toMatchObject({ status: 201, body: { order: 'o-1' } });

    const audit = await stack.auditOf(runId);
    const ops = audit.map((a) => a.operation);
    expect(ops[0]).toBe('run.started');
    expect(ops.at(-1)).toBe('run.succeeded');
    for (const node of ['item', 'price', 'order']) {
      expect(audit.filter((a) => a.operation === 'node.succeeded' && a.node_id === node)).toHaveLength(1);
      const exchanged = audit.find((a) => a.operation === 'token.exchanged' && a.node_id === node)!;
      expect(exchanged.details).toMatchObject({
        cached: false,
        expiresAt: expect.any(String),
        jti: expect.any(String),
      });
      const used = audit.find((a) => a.operation === 'token.used' && a.node_id === node)!;
      expect(used.details).toMatchObject({ status: expect.any(Number) });
    }
    expect(audit.find((a) => a.operation === 'scope.narrowed' && a.node_id === 'item')!.scopes).toEqual([
      'items:read',
      'items:notify',
    ]);
    expect(audit.find((a) => a.operation === 'token.exchanged' && a.node_id === 'item')!.target).toBe(AUD_A);
    expect(audit.find((a) => a.operation === 'token.used' && a.node_id === 'price')!.target).toBe(
      `GET ${stack.resource.url}/prices`,
    );

    const { rows } = await stack.db.query(
      `SELECT subject_token_ciphertext, subject_token_key_id FROM runs WHERE id = $1`,
      [runId],
    );
    expect(rows[0]).toEqual({ subject_token_ciphertext: null, subject_token_key_id: null });

    const trail = await call(`${stack.api.url}/v1/runs/${runId}/audit?limit=3`, { token: userToken });
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((e: { operation: string }) => e.operation)).toEqual(ops.slice(0, 3));
    expect(trail.body.nextCursor).toEqual(expect.any(String));
  });

  it('reuses a warm token for the same subject, audience and scopes (token.exchanged cached: true)', async () => {
    const first = await stack.startRun('dag', userToken, { id: 42 });
    await stack.waitForRun(first.body.id, userToken, ['succeeded']);
    const audit = await stack.auditOf(first.body.id);
    expect(audit.filter((a) => a.operation === 'token.exchanged').every((a) => a.details.cached === true)).toBe(true);
  });

  it('escalates insufficient_scope when a required scope is missing, without calling the token endpoint for that node', async () => {
    const token = await stack.auth.mintToken('bob', ['items:read', 'prices:read']); // no orders:write
    await stack.auth.resetStats();
    const started = await stack.startRun('dag', token, { id: 42 });
    const run = await stack.waitForRun(started.body.id, token, ['waiting_for_human', 'failed']);
    expect(run.status).toBe('waiting_for_human');
    expect(run.nodes.find((n: { id: string }) => n.id === 'order').status).toBe('waiting_for_human');
    expect(await stack.escalationsOf(started.body.id)).toEqual([
      expect.objectContaining({ reason: 'insufficient_scope', status: 'open', node_id: 'order' }),
    ]);
    const stats = await stack.auth.stats();
    expect(stats.exchanges.filter((e) => JSON.stringify(e.audience).includes(AUD_C))).toHaveLength(0);
    const narrowed = (await stack.auditOf(started.body.id)).find(
      (a) => a.operation === 'scope.narrowed' && a.node_id === 'order',
    )!;
    expect(narrowed).toMatchObject({ success: false });
    expect((await stack.auditOf(started.body.id)).map((a) => a.operation)).toContain('escalation.created');
  });

  it('escalates token_revoked when the authorization server refuses a revoked subject', async () => {
    const token = await stack.auth.mintToken('carol', ['items:read', 'prices:read', 'orders:write']);
    await stack.auth.revoke('carol');
    const started = await stack.startRun('dag', token, { id: 42 });
    const run = await stack.waitForRun(started.body.id, token, ['waiting_for_human', 'failed']);
    expect(run.status).toBe('waiting_for_human');
    expect((await stack.escalationsOf(started.body.id)).map((e) => e.reason)).toContain('token_revoked');
    expect(
      (await stack.auditOf(started.body.id)).filter((a) => a.operation === 'token.revoked').length,
    ).toBeGreaterThan(0);
  });

  it('escalates token_expired without calling the token endpoint when the subject token is about to expire', async () => {
    const token = await stack.auth.mintToken('dave', ['items:read', 'prices:read', 'orders:write'], 3); // skew is 5 s
    await stack.auth.resetStats();
    const started = await stack.startRun('dag', token, { id: 42 });
    expect(started.status).toBe(202);
    const escalations = await waitForEscalations(started.body.id, 2);
    expect(escalations.map((e) => e.reason)).toEqual(['token_expired', 'token_expired']);
    expect((await stack.auth.stats()).exchanges.filter((e) => e.sub === 'dave')).toHaveLength(0);
    expect((await stack.auditOf(started.body.id)).filter((a) => a.operation === 'token.expired')).toHaveLength(2);
  });

  it('fails the node and never calls downstream when the authorization server widens the scopes', async () => {
    await stack.register(
      definition('widened', [
        {
          id: 'only',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], audience: 'https://w.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/widened` },
        },
      ]),
    );
    await stack.auth.setFaults({ widenScope: 'admin:all' });
    const token = await stack.auth.mintToken('erin', ['items:read']);
    const started = await stack.startRun('widened', token);
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded']);
    expect(run.status).toBe('failed');
    expect(run.nodes[0].error).toMatchObject({ code: 'scope_escalation' });
    expect(run.error).toMatchObject({ code: 'scope_escalation', nodeId: 'only' });
    expect(stack.resource.seen('GET', '/widened')).toHaveLength(0);
  });

  it('retries two 503s from the token endpoint and succeeds', async () => {
    await stack.register(
      definition('flaky-as', [
        {
          id: 'only',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], audience: 'https://flaky.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/items/42` },
        },
      ]),
    );
    const token = await stack.auth.mintToken('frank', ['items:read']);
    await stack.auth.resetStats();
    await stack.auth.setFaults({ tokenEndpoint: { status: 503, times: 2 } });
    const started = await stack.startRun('flaky-as', token);
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded']);
    expect(run.status).toBe('succeeded');
    expect(run.nodes[0].attempts).toBe(3);
    expect((await stack.auth.stats()).tokenRequests).toBe(3);
    const exchanged = (await stack.auditOf(started.body.id)).filter((a) => a.operation === 'token.exchanged');
    expect(exchanged.map((a) => a.success)).toEqual([false, false, true]);
  });

  it('on a downstream 401 drops the cached token, exchanges exactly once more and retries once', async () => {
    stack.resource.on('GET', '/once-401', [{ status: 401 }], { status: 200, body: { ok: true } });
    await stack.register(
      definition('once-401', [
        {
          id: 'only',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], audience: 'https://r401.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/once-401` },
        },
      ]),
    );
    const token = await stack.auth.mintToken('gina', ['items:read']);
    await stack.auth.resetStats();
    const started = await stack.startRun('once-401', token);
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded', 'waiting_for_human']);
    expect(run.status).toBe('succeeded');
    expect((await stack.auth.stats()).exchanges.filter((e) => e.sub === 'gina')).toHaveLength(2);
    const seen = stack.resource.seen('GET', '/once-401');
    expect(seen).toHaveLength(2);
    expect(seen[0]!.headers.authorization).not.toBe(seen[1]!.headers.authorization);
  });

  it('escalates token_revoked when downstream answers 401 even to a fresh token', async () => {
    stack.resource.on('GET', '/always-401', { status: 401 });
    await stack.register(
      definition('always-401', [
        {
          id: 'only',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], audience: 'https://a401.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/always-401` },
        },
      ]),
    );
    const token = await stack.auth.mintToken('hank', ['items:read']);
    const started = await stack.startRun('always-401', token);
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded', 'waiting_for_human']);
    expect(run.status).toBe('waiting_for_human');
    expect((await stack.escalationsOf(started.body.id)).map((e) => e.reason)).toEqual(['token_revoked']);
    expect(stack.resource.seen('GET', '/always-401')).toHaveLength(2);
  });

  it('runs a custom handler with the exchanged token and the rendered input', async () => {
    await stack.register(
      definition('handler-flow', [
        {
          id: 'inspect',
          type: 'handler',
          handler: 'demo.inspectToken',
          input: { id: '{{input.id}}' },
          oauth: { requiredScopes: ['items:read'], audience: 'https://h.example.com' },
        },
      ]),
    );
    const started = await stack.startRun('handler-flow', userToken, { id: 7 });
    const run = await stack.waitForRun(started.body.id, userToken, ['failed', 'succeeded']);
    expect(run.status).toBe('succeeded');
    expect(run.nodes[0].output).toEqual({
      input: { id: 7 },
      grantedScopes: ['items:read'],
      token: { aud: 'https://h.example.com', scope: 'items:read', sub: 'alice', act: { sub: expect.any(String) } },
    });
  });

  it('fails a node whose template resolves to a missing value (template_error), skipping the rest', async () => {
    await stack.register(
      definition('missing-value', [
        { id: 'first', type: 'http', request: { method: 'GET', url: `${stack.resource.url}/items/{{input.missing}}` } },
        {
          id: 'second',
          type: 'http',
          dependsOn: ['first'],
          request: { method: 'GET', url: `${stack.resource.url}/prices` },
        },
      ]),
    );
    const started = await stack.startRun('missing-value', userToken, {});
    const run = await stack.waitForRun(started.body.id, userToken, ['failed', 'succeeded']);
    expect(run.status).toBe('failed');
    expect(run.nodes.map((n: { status: string }) => n.status)).toEqual(['failed', 'skipped']);
    expect(run.nodes[0].error.code).toBe('template_error');
    expect(run.nodes[0].attempts).toBe(1);
  });

  it('retries a downstream 503 honouring Retry-After, and fails after maxAttempts', async () => {
    stack.resource.on('GET', '/down', { status: 503, headers: { 'retry-after': '0' } });
    await stack.register(
      definition('down', [
        {
          id: 'only',
          type: 'http',
          retry: { maxAttempts: 2, backoffMs: 10 },
          request: { method: 'GET', url: `${stack.resource.url}/down` },
        },
      ]),
    );
    const started = await stack.startRun('down', userToken);
    const run = await stack.waitForRun(started.body.id, userToken, ['failed', 'succeeded']);
    expect(run.status).toBe('failed');
    expect(run.nodes[0]).toMatchObject({ attempts: 2, error: { code: 'http_error' } });
    expect(stack.resource.seen('GET', '/down')).toHaveLength(2);
  });

  // Before the sweeper test below, which restarts the worker (and its counters).
  it('exposes worker metrics: steps, exchanges, escalations', async () => {
    const { Registry } = await import('prom-client');
    const text = await stack.worker!.get(Registry).metrics();
    expect(text).toMatch(/baton_node_steps_total\{outcome="succeeded",app="worker"\} \d+/);
    expect(text).toMatch(/baton_token_exchanges_total\{result="success",cached="(true|false)",app="worker"\} \d+/);
    expect(text).toMatch(/baton_escalations_opened_total\{reason="insufficient_scope",app="worker"\} \d+/);
  });

  it('finishes a run whose first job never reached Redis (crash between commit and enqueue): the sweeper enqueues it', async () => {
    await stack.stopWorker();
    const started = await stack.startRun('dag', userToken, { id: 42 });
    // Simulate the crash: the run and its queued nodes are committed, but the jobs are gone.
    const { Queue } = await import('bullmq');
    const queue = new Queue('nodes', {
      connection: { host: '127.0.0.1', port: 6379 },
      prefix: stack.config.queuePrefix,
    });
    await queue.obliterate({ force: true });
    expect(await queue.count()).toBe(0);
    await queue.close();
    await stack.startWorker();
    const run = await stack.waitForRun(started.body.id, userToken, ['succeeded', 'failed'], 40000);
    expect(run.status).toBe('succeeded');
    const audit = await stack.auditOf(started.body.id);
    expect(audit.filter((a) => a.operation === 'node.succeeded')).toHaveLength(3);
  }, 60000);

  describe('the runs API', () => {
    it('returns the first run for a repeated Idempotency-Key from the same user (200), a new one for another user', async () => {
      const first = await stack.startRun('dag', userToken, { id: 42 }, { 'idempotency-key': 'order-123' });
      const again = await stack.startRun('dag', userToken, { id: 42 }, { 'idempotency-key': 'order-123' });
      expect(first.status).toBe(202);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      const other = await stack.startRun(
        'dag',
        await stack.auth.mintToken('zoe', ['items:read']),
        { id: 42 },
        { 'idempotency-key': 'order-123' },
      );
      expect(other.status).toBe(202);
      expect(other.body.id).not.toBe(first.body.id);
    });

    it('hides another user’s run (404) and lists only one’s own runs', async () => {
      const started = await stack.startRun('dag', userToken, { id: 42 });
      const stranger = await stack.auth.mintToken('mallory', ['openid']);
      expect((await stack.getRun(started.body.id, stranger)).status).toBe(404);
      expect((await call(`${stack.api.url}/v1/runs/${started.body.id}/audit`, { token: stranger })).status).toBe(404);
      expect(
        (await call(`${stack.api.url}/v1/runs/${started.body.id}/cancel`, { token: stranger, method: 'POST' })).status,
      ).toBe(404);
      expect((await stack.getRun('not-a-uuid', userToken)).status).toBe(404);
      const mine = await call(`${stack.api.url}/v1/runs?limit=200`, { token: stranger });
      expect(mine.body.items).toEqual([]);
      const admin = await stack.auth.mintToken('ops', ['baton:runs:read_all']);
      expect((await stack.getRun(started.body.id, admin)).status).toBe(200);
      const filtered = await call(`${stack.api.url}/v1/runs?workflow=dag&status=succeeded&limit=2`, {
        token: userToken,
      });
      expect(filtered.status).toBe(200);
      expect(
        filtered.body.items.every(
          (r: { workflow: { name: string }; status: string }) => r.workflow.name === 'dag' && r.status === 'succeeded',
        ),
      ).toBe(true);
      expect((await call(`${stack.api.url}/v1/runs?status=bogus`, { token: userToken })).status).toBe(400);
    });

    it('checks the input against the workflow inputSchema (422 listing each problem) and answers 404 for an unknown workflow', async () => {
      await stack.register(
        definition(
          'typed',
          [{ id: 'x', type: 'http', request: { method: 'GET', url: `${stack.resource.url}/prices` } }],
          {
            inputSchema: {
              type: 'object',
              required: ['id'],
              properties: { id: { type: 'integer' }, name: { type: 'string' } },
            },
          },
        ),
      );
      const bad = await stack.startRun('typed', userToken, { name: 5 });
      expect(bad.status).toBe(422);
      expect(bad.body.errors.length).toBeGreaterThanOrEqual(2);
      expect((await stack.startRun('no-such-workflow', userToken)).status).toBe(404);
      const malformed = await call(`${stack.api.url}/v1/workflows/typed/runs`, {
        token: userToken,
        body: { input: 'nope' },
      });
      expect(malformed.status).toBe(400);
    });

    it('cancels a run at once; nodes not started become cancelled; a second cancel is 409', async () => {
      stack.resource.on('GET', '/slow', { status: 200, body: {}, delayMs: 1500 });
      await stack.register(
        definition('slow', [
          { id: 'wait', type: 'http', request: { method: 'GET', url: `${stack.resource.url}/slow` } },
          {
            id: 'after',
            type: 'http',
            dependsOn: ['wait'],
            request: { method: 'GET', url: `${stack.resource.url}/prices` },
          },
        ]),
      );
      const started = await stack.startRun('slow', userToken);
      await stack.waitForRun(started.body.id, userToken, ['running']);
      const cancelled = await call(`${stack.api.url}/v1/runs/${started.body.id}/cancel`, {
        token: userToken,
        method: 'POST',
      });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(cancelled.body.nodes.find((n: { id: string }) => n.id === 'after').status).toBe('cancelled');
      expect(
        (await call(`${stack.api.url}/v1/runs/${started.body.id}/cancel`, { token: userToken, method: 'POST' })).status,
      ).toBe(409);
      // the running node finishes and its result is recorded; nothing new starts
      const final = await stack.waitForRun(started.body.id, userToken, ['cancelled']);
      const settled = await eventuallyNode(started.body.id, 'wait');
      expect(settled).toBe('succeeded');
      expect(final.nodes.find((n: { id: string }) => n.id === 'after').status).toBe('cancelled');
      expect((await stack.auditOf(started.body.id)).map((a) => a.operation)).toContain('run.cancelled');
    });
  });

  async function waitForEscalations(runId: string, count: number) {
    const deadline = Date.now() + 15000;
    let rows = await stack.escalationsOf(runId);
    while (rows.length < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await stack.escalationsOf(runId);
    }
    return rows;
  }

  async function eventuallyNode(runId: string, nodeId: string): Promise<string> {
    const deadline = Date.now() + 10000;
    for (;;) {
      const { rows } = await stack.db.query(`SELECT status FROM node_runs WHERE run_id = $1 AND node_id = $2`, [
        runId,
        nodeId,
      ]);
      if (rows[0].status !== 'running' || Date.now() > deadline) return rows[0].status;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});
