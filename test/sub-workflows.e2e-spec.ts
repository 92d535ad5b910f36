import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, type ConnectionOptions } from 'bullmq';
import { decodeJwt } from 'jose';
import { redisConnectionOptions } from '../libs/platform/src/index.js';
import { call } from './support/api.js';
import { definition } from './support/workflows.js';
import { RunStack } from './support/run-stack.js';
import { eventually } from './support/waiting.js';

const AUD = 'https://docs.example.com';

interface TreeRow {
  id: string;
  status: string;
  parent_run_id: string | null;
  parent_node_id: string | null;
  parent_attempt: number | null;
  root_run_id: string;
  depth: number;
  user_scopes: string[];
  error: { code: string; childRunId?: string } | null;
}

describe('sub-workflows: delegation with attenuation (SPEC §11)', () => {
  let stack: RunStack;
  let base: string;
  let hook: Server;
  const hookEvents: { type: string; escalation: { id: string; status: string } }[] = [];

  /** A parent whose `research` node calls `child`, between two http nodes. */
  const parent = (name: string, child: string, input: Record<string, unknown> = { topic: '{{input.topic}}' }) =>
    definition(name, [
      {
        id: 'plan',
        type: 'http',
        oauth: { requiredScopes: ['docs:read'], audience: AUD },
        request: { method: 'GET', url: `${base}/plan` },
      },
      {
        id: 'research',
        type: 'workflow',
        dependsOn: ['plan'],
        workflow: { name: child, input },
        oauth: { requiredScopes: ['docs:read'], optionalScopes: ['web:search'] },
      },
      {
        id: 'report',
        type: 'http',
        dependsOn: ['research'],
        oauth: { requiredScopes: ['docs:read'], audience: AUD },
        request: {
          method: 'POST',
          url: `${base}/report`,
          body: { child: '{{nodes.research.output.runId}}', found: '{{nodes.research.output.outputs.search.body}}' },
        },
      },
    ]);

  const treeOf = async (rootId: string): Promise<TreeRow[]> =>
    (
      await stack.db.query(
        `SELECT id, status, parent_run_id, parent_node_id, parent_attempt, root_run_id, depth, user_scopes, error
         FROM runs WHERE root_run_id = $1 ORDER BY depth, created_at`,
        [rootId],
      )
    ).rows;

  const childrenOf = async (runId: string): Promise<TreeRow[]> =>
    (await stack.db.query(`SELECT id, status, depth FROM runs WHERE parent_run_id = $1`, [runId])).rows;

  const waitForChild = (runId: string) =>
    eventually(
      () => childrenOf(runId),
      (rows) => rows.length > 0,
      15000,
    ).then((rows) => rows[0]!);

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        hookEvents.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => hook.listen(0, '127.0.0.1', done));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    stack = await RunStack.start(
      { extra: { notifications: { webhookUrl: hookUrl, secretEnv: 'BATON_WEBHOOK_SECRET', allowPrivate: true } } },
      { env: { BATON_WEBHOOK_SECRET: 'sub-workflows-webhook-secret' } },
    );
    base = stack.resource.url;
    stack.resource.on('GET', '/plan', { status: 200, body: { plan: 'p' } });
    stack.resource.on('GET', '/search', { status: 200, body: { hits: 3 } });
    stack.resource.on('POST', '/report', { status: 201, body: { ok: true } });
    stack.resource.on('GET', '/broken', { status: 400, body: { error: 'bad' } });
    await stack.register(
      definition(
        'research',
        [
          {
            id: 'search',
            type: 'http',
            // mail:send is optional here but outside the parent's ceiling: it must never be asked for.
            oauth: { requiredScopes: ['docs:read'], optionalScopes: ['web:search', 'mail:send'], audience: AUD },
            request: { method: 'GET', url: `${base}/search`, query: { topic: '{{input.topic}}' } },
          },
        ],
        { inputSchema: { type: 'object', required: ['topic'], properties: { topic: { type: 'string' } } } },
      ),
    );
    await stack.register(parent('planner', 'research'));
  });
  afterAll(async () => {
    await stack?.close();
    hook?.closeAllConnections();
    await new Promise((done) => hook?.close(done));
  });

  it('runs the child for the same user, feeds its outputs to the parent node, and the parent continues', async () => {
    const token = await stack.auth.mintToken('alice', ['docs:read', 'web:search', 'mail:send', 'openid']);
    const started = await stack.startRun('planner', token, { topic: 'otters' });
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    const [root, child] = await treeOf(run.id);
    expect(root).toMatchObject({ id: run.id, parent_run_id: null, root_run_id: run.id, depth: 0 });
    expect(child).toMatchObject({
      status: 'succeeded',
      parent_run_id: run.id,
      parent_node_id: 'research',
      parent_attempt: 1,
      root_run_id: run.id,
      depth: 1,
    });
    // The child narrows against user ∩ ceiling.
    expect(child!.user_scopes.sort()).toEqual(['docs:read', 'web:search']);

    const research = run.nodes.find((n: { id: string }) => n.id === 'research');
    expect(research).toMatchObject({
      status: 'succeeded',
      output: { runId: child!.id, status: 'succeeded', outputs: { search: { status: 200, body: { hits: 3 } } } },
    });
    const [report] = stack.resource.seen('POST', '/report');
    expect(report!.body).toEqual({ child: child!.id, found: { hits: 3 } });

    // The token the child's downstream saw holds only scopes within the ceiling, for the same user.
    const [search] = stack.resource.seen('GET', '/search');
    const claims = decodeJwt(String(search!.headers.authorization).replace(/^Bearer /, ''));
    expect(claims).toMatchObject({ sub: 'alice', aud: AUD, scope: 'docs:read web:search' });
    expect(search!.query).toBe('?topic=otters');

    const childAudit = await stack.auditOf(child!.id);
    expect(childAudit[0]).toMatchObject({
      operation: 'run.started',
      details: { parentRunId: run.id, parentNodeId: 'research', rootRunId: run.id, depth: 1 },
    });
    expect(childAudit.at(-1)!.operation).toBe('run.succeeded');
    const parentAudit = await stack.auditOf(run.id);
    expect(parentAudit.filter((a) => a.operation === 'node.succeeded' && a.node_id === 'research')).toHaveLength(1);
    expect(parentAudit.at(-1)!.operation).toBe('run.succeeded');
    // Both runs' subject tokens are gone once they are over.
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n FROM runs WHERE root_run_id = $1 AND subject_token_ciphertext IS NOT NULL`,
      [run.id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('every successor of the workflow node runs at once after the child (announced, not left to the sweeper)', async () => {
    const successor = (id: string) => ({
      id,
      type: 'http' as const,
      dependsOn: ['research'],
      oauth: { requiredScopes: ['docs:read'], audience: AUD },
      request: { method: 'GET', url: `${base}/plan`, query: { from: id } },
    });
    await stack.register(
      definition('fan-out', [
        {
          id: 'research',
          type: 'workflow',
          workflow: { name: 'research', input: { topic: 'fan' } },
          oauth: { requiredScopes: ['docs:read'] },
        },
        ...['one', 'two', 'three', 'four'].map(successor),
      ]),
    );
    const token = await stack.auth.mintToken('mia', ['docs:read']);
    const started = await stack.startRun('fan-out', token, {});
    // Well inside the sweeper's 10 s for queued rows without a job.
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed'], 5000);
    expect(run.status).toBe('succeeded');
    expect(run.nodes.map((n: { status: string }) => n.status)).toEqual(Array(5).fill('succeeded'));
  });

  it('fails the parent node with child_run_failed (not retried) when the child fails', async () => {
    await stack.register(
      definition('broken-child', [
        {
          id: 'search',
          type: 'http',
          oauth: { requiredScopes: ['docs:read'], audience: AUD },
          request: { method: 'GET', url: `${base}/broken` },
        },
      ]),
    );
    await stack.register(parent('planner-broken', 'broken-child'));
    const token = await stack.auth.mintToken('bob', ['docs:read']);
    const started = await stack.startRun('planner-broken', token, { topic: 'x' });
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('failed');
    const [, child] = await treeOf(run.id);
    expect(child).toMatchObject({ status: 'failed', error: { code: 'http_error' } });
    const research = run.nodes.find((n: { id: string }) => n.id === 'research');
    expect(research).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'child_run_failed', childRunId: child!.id },
    });
    expect(run.error).toMatchObject({ code: 'child_run_failed', nodeId: 'research' });
    expect(run.nodes.find((n: { id: string }) => n.id === 'report').status).toBe('skipped');
  });

  it('fails delegation_exceeded, with the scopes, and starts no child when a child node requires a scope beyond the ceiling', async () => {
    await stack.register(
      definition('greedy', [
        {
          id: 'search',
          type: 'http',
          oauth: { requiredScopes: ['docs:read', 'admin:all'], audience: AUD },
          request: { method: 'GET', url: `${base}/search` },
        },
      ]),
    );
    await stack.register(parent('planner-greedy', 'greedy'));
    // The user holds admin:all: the ceiling, not the user, is what the child is refused by.
    const token = await stack.auth.mintToken('carol', ['docs:read', 'admin:all']);
    const started = await stack.startRun('planner-greedy', token, { topic: 'x' });
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('failed');
    const research = run.nodes.find((n: { id: string }) => n.id === 'research');
    expect(research).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'delegation_exceeded', scopes: ['admin:all'] },
    });
    expect(await treeOf(run.id)).toHaveLength(1);
  });

  it('fails template_error when the rendered input does not match the child inputSchema', async () => {
    await stack.register(parent('planner-bad-input', 'research', { topic: '{{nodes.plan.output.status}}' }));
    const token = await stack.auth.mintToken('dora', ['docs:read']);
    const started = await stack.startRun('planner-bad-input', token, {});
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.nodes.find((n: { id: string }) => n.id === 'research')).toMatchObject({
      status: 'failed',
      error: { code: 'template_error' },
    });
    expect(await treeOf(run.id)).toHaveLength(1);
  });

  it('escalates insufficient_scope on the parent node, before any child exists, when the user lacks a required ceiling scope', async () => {
    await stack.register(
      definition('needs-more', [
        {
          id: 'call',
          type: 'workflow',
          workflow: { name: 'research', input: { topic: 't' } },
          oauth: { requiredScopes: ['docs:read', 'web:search'] },
        },
      ]),
    );
    const token = await stack.auth.mintToken('erin', ['docs:read']);
    const started = await stack.startRun('needs-more', token, {});
    const run = await stack.waitForRun(started.body.id, token, ['waiting_for_human', 'failed', 'succeeded']);
    expect(run.status).toBe('waiting_for_human');
    expect(await stack.escalationsOf(run.id)).toEqual([
      expect.objectContaining({ reason: 'insufficient_scope', node_id: 'call', status: 'open' }),
    ]);
    expect(await treeOf(run.id)).toHaveLength(1);
  });

  it('bounds a self-calling workflow by maxDelegationDepth (delegation_depth_exceeded at the deepest run)', async () => {
    await stack.register(
      definition('recurse', [
        {
          id: 'again',
          type: 'workflow',
          workflow: { name: 'recurse' },
          oauth: { requiredScopes: ['docs:read'] },
        },
      ]),
    );
    const token = await stack.auth.mintToken('fred', ['docs:read']);
    const started = await stack.startRun('recurse', token, {});
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('failed');
    const tree = await treeOf(run.id);
    expect(tree.map((r) => [r.depth, r.status])).toEqual([
      [0, 'failed'],
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    expect(tree[3]!.error).toMatchObject({ code: 'delegation_depth_exceeded' });
    for (const r of tree.slice(0, 3)) expect(r.error).toMatchObject({ code: 'child_run_failed' });
  });

  it('a child waiting for a human makes the parent node and run wait; approving continues both', async () => {
    await stack.register(
      definition('ask', [
        { id: 'ok', type: 'approval', approval: { prompt: 'go on with {{input.topic}}?' } },
        {
          id: 'search',
          type: 'http',
          dependsOn: ['ok'],
          oauth: { requiredScopes: ['docs:read'], audience: AUD },
          request: { method: 'GET', url: `${base}/search` },
        },
      ]),
    );
    await stack.register(parent('planner-ask', 'ask'));
    const token = await stack.auth.mintToken('gail', ['docs:read']);
    const started = await stack.startRun('planner-ask', token, { topic: 'ants' });
    const child = await waitForChild(started.body.id);
    const escalation = await stack.openEscalation(child.id);
    const waiting = await stack.waitForRun(started.body.id, token, ['waiting_for_human']);
    expect(waiting.nodes.find((n: { id: string }) => n.id === 'research').status).toBe('waiting_for_human');
    expect(await stack.escalationsOf(started.body.id)).toEqual([]); // the escalation is the child's

    expect((await stack.resolve(escalation.id, token, { action: 'approve' })).status).toBe(200);
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    expect(run.nodes.map((n: { status: string }) => n.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect((await treeOf(run.id))[1]!.status).toBe('succeeded');
  });

  it('resuming a child escalation with a fresh token replaces it for the whole tree; both runs continue', async () => {
    await stack.register(
      definition('wants-search', [
        {
          id: 'search',
          type: 'http',
          oauth: { requiredScopes: ['docs:read', 'web:search'], audience: AUD },
          request: { method: 'GET', url: `${base}/search` },
        },
      ]),
    );
    await stack.register(parent('planner-resume', 'wants-search'));
    // web:search is an optional ceiling scope the user lacks: the child node escalates, not the parent.
    const token = await stack.auth.mintToken('hank', ['docs:read']);
    const started = await stack.startRun('planner-resume', token, { topic: 'x' });
    const child = await waitForChild(started.body.id);
    const escalation = await stack.openEscalation(child.id);
    expect(escalation).toMatchObject({ reason: 'insufficient_scope', node_id: 'search' });
    expect((await stack.waitForRun(started.body.id, token, ['waiting_for_human'])).status).toBe('waiting_for_human');

    const fresh = await stack.auth.mintToken('hank', ['docs:read', 'web:search', 'mail:send']);
    const resolved = await stack.resolve(escalation.id, token, { action: 'resume', subjectToken: fresh });
    expect(resolved.status).toBe(200);
    const run = await stack.waitForRun(started.body.id, fresh, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    const [root, done] = await treeOf(run.id);
    expect(root!.user_scopes.sort()).toEqual(['docs:read', 'mail:send', 'web:search']);
    expect(done!.user_scopes.sort()).toEqual(['docs:read', 'web:search']);
    // The parent's last node ran with the fresh token too.
    const reports = stack.resource.seen('POST', '/report');
    const last = decodeJwt(String(reports.at(-1)!.headers.authorization).replace(/^Bearer /, ''));
    expect(last.sub).toBe('hank');
  });

  it('cancelling the parent cancels its descendants at once', async () => {
    await stack.register(definition('hold', [{ id: 'wait', type: 'approval', approval: { prompt: 'wait' } }]));
    await stack.register(
      definition('middle', [
        {
          id: 'inner',
          type: 'workflow',
          workflow: { name: 'hold' },
          oauth: { requiredScopes: ['docs:read'] },
        },
      ]),
    );
    await stack.register(parent('planner-cancel', 'middle'));
    const token = await stack.auth.mintToken('ivy', ['docs:read']);
    const started = await stack.startRun('planner-cancel', token, { topic: 'x' });
    const child = await waitForChild(started.body.id);
    const grandchild = await waitForChild(child.id);
    const escalation = await stack.openEscalation(grandchild.id);
    await stack.waitForRun(started.body.id, token, ['waiting_for_human']);

    const cancelled = await call(`${stack.api.url}/v1/runs/${started.body.id}/cancel`, { token, method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const tree = await treeOf(started.body.id);
    expect(tree.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect((await stack.escalationsOf(grandchild.id)).find((e) => e.id === escalation.id)!.status).toBe('resolved');
    // The grandchild's escalation, closed by the cascade, is announced like the root's would be.
    await eventually(
      async () => hookEvents.filter((e) => e.escalation.id === escalation.id).map((e) => e.type),
      (types) => types.includes('escalation.resolved'),
      15000,
    );
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n FROM node_runs WHERE run_id = ANY($1) AND status IN ('running', 'queued', 'waiting_for_human', 'pending')`,
      [tree.map((r) => r.id)],
    );
    expect(rows[0].n).toBe(0);
  });

  it("a child's failure fails its parent, whose open escalations close and are announced by webhook", async () => {
    await stack.register(definition('hold-reject', [{ id: 'wait', type: 'approval', approval: { prompt: 'wait' } }]));
    await stack.register(
      definition('planner-two', [
        { id: 'ask', type: 'approval', approval: { prompt: 'go?' } },
        {
          id: 'research',
          type: 'workflow',
          workflow: { name: 'hold-reject' },
          oauth: { requiredScopes: ['docs:read'] },
        },
      ]),
    );
    const token = await stack.auth.mintToken('mona', ['docs:read']);
    const started = await stack.startRun('planner-two', token, {});
    const child = await waitForChild(started.body.id);
    const childEscalation = await stack.openEscalation(child.id);
    const parentEscalation = await stack.openEscalation(started.body.id);

    const rejected = await call(`${stack.api.url}/v1/escalations/${childEscalation.id}/resolve`, {
      token,
      body: { action: 'reject' },
    });
    expect(rejected.status).toBe(200);
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded', 'cancelled']);
    expect(run.status).toBe('failed');
    // Closed by Baton inside the child's transaction (the tree trigger), not by a JavaScript caller.
    expect((await stack.escalationsOf(started.body.id)).find((e) => e.id === parentEscalation.id)!.status).toBe(
      'resolved',
    );
    await eventually(
      async () => hookEvents.filter((e) => e.escalation.id === parentEscalation.id).map((e) => e.type),
      (types) => types.includes('escalation.resolved'),
      15000,
    );
    expect(
      hookEvents.filter((e) => e.escalation.id === parentEscalation.id && e.type === 'escalation.resolved'),
    ).toHaveLength(1);
  });

  it('a child cancelled on its own fails the parent node child_run_failed, and the parent run with it', async () => {
    await stack.register(definition('hold-alone', [{ id: 'wait', type: 'approval', approval: { prompt: 'wait' } }]));
    await stack.register(parent('planner-hold', 'hold-alone'));
    const token = await stack.auth.mintToken('liam', ['docs:read']);
    const started = await stack.startRun('planner-hold', token, { topic: 'x' });
    const child = await waitForChild(started.body.id);
    await stack.openEscalation(child.id);
    const cancelled = await call(`${stack.api.url}/v1/runs/${child.id}/cancel`, { token, method: 'POST' });
    expect(cancelled.status).toBe(200);
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded', 'cancelled']);
    expect(run.status).toBe('failed');
    expect(run.nodes.find((n: { id: string }) => n.id === 'research')).toMatchObject({
      status: 'failed',
      error: { code: 'child_run_failed', childRunId: child.id, childStatus: 'cancelled' },
    });
    expect(run.nodes.find((n: { id: string }) => n.id === 'report').status).toBe('skipped');
    const audit = await stack.auditOf(run.id);
    expect(audit.filter((a) => a.operation === 'node.failed' && a.node_id === 'research')).toEqual([
      expect.objectContaining({ success: false, error: 'child_run_failed' }),
    ]);
    expect(audit.at(-1)).toMatchObject({ operation: 'run.failed', error: 'child_run_failed' });
  });

  it('shows the tree: parentRunId, rootRunId, depth, children; rootOnly lists; escalations and audit of a tree', async () => {
    const token = await stack.auth.mintToken('jill', ['docs:read']);
    const started = await stack.startRun('planner-ask', token, { topic: 'views' });
    const root = started.body.id;
    const child = await waitForChild(root);
    const escalation = await stack.openEscalation(child.id);

    const rootView = await stack.getRun(root, token);
    expect(rootView.body).toMatchObject({
      parentRunId: null,
      rootRunId: root,
      depth: 0,
      children: [
        { id: child.id, nodeId: 'research', workflow: { name: 'ask', version: 1 }, status: 'waiting_for_human' },
      ],
    });
    const childView = await stack.getRun(child.id, token);
    expect(childView.body).toMatchObject({ parentRunId: root, rootRunId: root, depth: 1, children: [] });

    const all = await call(`${stack.api.url}/v1/runs?limit=100`, { token });
    expect(all.body.items.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([root, child.id]));
    const roots = await call(`${stack.api.url}/v1/runs?limit=100&rootOnly=true`, { token });
    expect(roots.status).toBe(200);
    expect(roots.body.items.map((r: { id: string }) => r.id)).toContain(root);
    expect(roots.body.items.map((r: { id: string }) => r.id)).not.toContain(child.id);
    expect((await call(`${stack.api.url}/v1/runs?rootOnly=maybe`, { token })).status).toBe(400);

    const escalations = await call(`${stack.api.url}/v1/escalations?runId=${root}`, { token });
    expect(escalations.status).toBe(200);
    expect(escalations.body.items.map((e: { id: string }) => e.id)).toEqual([escalation.id]);

    expect((await stack.resolve(escalation.id, token, { action: 'approve' })).status).toBe(200);
    await stack.waitForRun(root, token, ['succeeded']);
    const auditor = await stack.auth.mintToken('auditor', ['baton:audit:read']);
    const trail = await call(`${stack.api.url}/v1/audit?rootRunId=${root}&limit=200&order=asc`, { token: auditor });
    expect(trail.status).toBe(200);
    const runIds = new Set(trail.body.items.map((e: { runId: string }) => e.runId));
    expect(runIds).toEqual(new Set([root, child.id]));
    expect(trail.body.items).toHaveLength((await stack.auditOf(root)).length + (await stack.auditOf(child.id)).length);
    const ofChild = await call(`${stack.api.url}/v1/audit?rootRunId=${child.id}&limit=200`, { token: auditor });
    expect(new Set(ofChild.body.items.map((e: { runId: string }) => e.runId))).toEqual(new Set([child.id]));
    // Each run's chain verifies on its own.
    for (const id of [root, child.id]) {
      const verify = await call(`${stack.api.url}/v1/runs/${id}/audit/verify`, { token });
      expect(verify.body).toMatchObject({ valid: true });
    }
  });

  it('an attempt executed again finds its child, and the sweeper leaves a node whose child runs alone', async () => {
    stack.resource.on('GET', '/slow', { status: 200, body: { slow: true }, delayMs: 12000 });
    await stack.register(
      definition('slow-child', [
        {
          id: 'search',
          type: 'http',
          oauth: { requiredScopes: ['docs:read'], audience: AUD },
          request: { method: 'GET', url: `${base}/slow` },
          timeoutMs: 20000,
        },
      ]),
    );
    await stack.register(parent('planner-slow', 'slow-child'));
    const token = await stack.auth.mintToken('kate', ['docs:read']);
    const started = await stack.startRun('planner-slow', token, { topic: 'x' });
    const runId = started.body.id;
    const child = await waitForChild(runId);
    // And a second job for the same attempt (a re-delivered job): it takes the attempt over and finds the child.
    const queue = new Queue('nodes', {
      connection: redisConnectionOptions(stack.config.redisUrl) as ConnectionOptions,
      prefix: stack.config.queuePrefix,
    });
    await queue.add('run-node', { runId, nodeId: 'research', attempt: 1 }, { jobId: `${runId}.research.again` });
    await eventually(
      async () =>
        (await stack.auditOf(runId)).filter((a) => a.operation === 'node.started' && a.node_id === 'research'),
      (rows) => rows.length === 2,
      10000,
    );
    // The parent node looks long stuck: a sweeper that did not know about children would re-run it.
    await stack.db.query(
      `UPDATE node_runs SET updated_at = now() - interval '1 hour' WHERE run_id = $1 AND node_id = 'research'`,
      [runId],
    );
    await new Promise((r) => setTimeout(r, 8000)); // more than one sweep tick (5 s ± 25 %)

    const run = await stack.waitForRun(runId, token, ['succeeded', 'failed'], 30000);
    await queue.close();
    expect(run.status).toBe('succeeded');
    expect((await childrenOf(runId)).map((c) => c.id)).toEqual([child.id]);
    const audit = await stack.auditOf(runId);
    // Started by its own job and by the second one; never by the sweeper; succeeded once.
    expect(audit.filter((a) => a.operation === 'node.started' && a.node_id === 'research')).toHaveLength(2);
    expect(audit.filter((a) => a.operation === 'node.succeeded' && a.node_id === 'research')).toHaveLength(1);
    expect(stack.resource.seen('GET', '/slow')).toHaveLength(1);
  }, 60000);
});
