import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { QueueName } from '../libs/workflow/src/engine/node-queue.js';
import { SecurityEventSink, type VerifiedSecurityEvent } from '../libs/workflow/src/index.js';
import { call, startApi, type RunningApi } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { eventually } from './support/waiting.js';
import { definition, httpNode } from './support/workflows.js';

const T = (type: string) => `https://schemas.openid.net/secevent/${type}`;
const SESSION_REVOKED = T('caep/event-type/session-revoked');
const CLAIMS_CHANGE = T('caep/event-type/token-claims-change');
const RESUME = 'baton:escalations:resolve';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SPEC §10.3 against the real stack: what an accepted SET does to runs, cached and stored tokens,
 * inbound tokens and resumes. SETs are handed to the api's real sink (what the push receiver and the
 * poller call once a SET verified); the receiving checks have their own suite.
 */
describe('security events: effects (SPEC §10.3)', () => {
  let stack: RunStack;
  let sink: SecurityEventSink;
  let replica: RunningApi;

  beforeAll(async () => {
    stack = await RunStack.start();
    sink = stack.api.app.get(SecurityEventSink);
    replica = await startApi(stack.config); // a second api replica on the same database and Redis
    for (const path of ['/report', '/submit', '/next'])
      stack.resource.on('GET', path, { status: 200, body: { ok: true } });
    const url = `${stack.resource.url}/report`;
    await stack.register(
      definition('sse-linear', [
        httpNode('fetch', url),
        { id: 'ok', type: 'approval', dependsOn: ['fetch'], approval: { prompt: 'go?' } },
        httpNode('submit', `${stack.resource.url}/submit`, { dependsOn: ['ok'] }),
      ]),
    );
    await stack.register(
      definition('sse-retry', [
        httpNode('first', url),
        // 503 → a retry 3–6 s later: the node sits queued behind that delay
        httpNode('flaky', `${stack.resource.url}/flaky`, {
          dependsOn: ['first'],
          retry: { maxAttempts: 3, backoffMs: 6000 },
        }),
      ]),
    );
    await stack.register(
      definition('sse-slow', [
        httpNode('slow', `${stack.resource.url}/slow`),
        httpNode('next', `${stack.resource.url}/next`, { dependsOn: ['slow'] }),
      ]),
    );
  });
  afterAll(async () => {
    await replica?.close();
    await stack?.close();
  });

  const set = (
    subId: unknown,
    type = SESSION_REVOKED,
    claims: Record<string, unknown> = {},
  ): VerifiedSecurityEvent => ({
    issuer: stack.auth.issuer,
    subjectIssuer: stack.auth.issuer,
    tenant: 'default',
    jti: randomUUID(),
    issuedAt: Math.floor(Date.now() / 1000),
    events: [{ type, claims: { event_timestamp: Math.floor(Date.now() / 1000), ...claims } }],
    subId,
    delivery: 'push',
  });
  const issSub = (sub: string) => ({ format: 'iss_sub', iss: stack.auth.issuer, sub });

  async function runWaitingAtApproval(token: string): Promise<string> {
    const started = await stack.startRun('sse-linear', token);
    expect(started.status).toBe(202);
    const run = await stack.waitForRun(started.body.id, token, ['waiting_for_human', 'failed']);
    expect(run.status).toBe('waiting_for_human');
    return started.body.id;
  }

  async function received(jti: string) {
    const { rows } = await stack.db.query(
      `SELECT run_id, issuer, user_id, details FROM audit_entries WHERE operation = 'security_event.received' AND details->>'jti' = $1`,
      [jti],
    );
    return rows;
  }

  it('revokes the runs of the subject: the next node escalates token_revoked without asking the AS, older tokens are refused, resume needs a newer one', async () => {
    const user = `u-${randomUUID().slice(0, 8)}`;
    const oldToken = await stack.auth.mintToken(user, ['expenses:read', 'baton:runs:read']);
    const runId = await runWaitingAtApproval(oldToken);
    const otherUser = await stack.auth.mintToken(`other-${user}`, ['expenses:read']);
    const otherRun = await runWaitingAtApproval(otherUser);
    await sleep(1100); // the event comes strictly after the old tokens were issued (iat has seconds)

    const event = set(issSub(user));
    const outcome = await sink.accept(event);
    expect(outcome).toEqual({ duplicate: false, runsAffected: 1, applied: true });

    const [row] = await received(event.jti);
    expect(row).toMatchObject({
      run_id: null,
      issuer: stack.auth.issuer,
      user_id: user,
      details: { eventType: SESSION_REVOKED, jti: event.jti, subjectFormat: 'iss_sub', runsAffected: 1, applied: true },
    });
    const audit = await stack.auditOf(runId);
    expect(audit.filter((a) => a.operation === 'security_event.applied')).toEqual([
      expect.objectContaining({ success: true, details: { eventType: SESSION_REVOKED, jti: event.jti } }),
    ]);
    expect((await stack.auditOf(otherRun)).some((a) => a.operation === 'security_event.applied')).toBe(false);
    const { rows: stored } = await stack.db.query(
      `SELECT subject_token_ciphertext IS NULL AS deleted, subject_token_revoked FROM runs WHERE id = ANY($1) ORDER BY id = $2 DESC`,
      [[runId, otherRun], runId],
    );
    expect(stored[0]).toMatchObject({ deleted: true, subject_token_revoked: { eventType: SESSION_REVOKED } });
    expect(stored[1]).toMatchObject({ deleted: false, subject_token_revoked: null });

    // The older token is cut off on both replicas (this one and the one that heard the broadcast).
    expect((await call(`${stack.api.url}/v1/runs/${runId}`, { token: oldToken })).status).toBe(401);
    await eventually(
      () => call(`${replica.url}/v1/runs/${runId}`, { token: oldToken }),
      (r) => r.status === 401,
      5000,
    );
    expect((await call(`${stack.api.url}/v1/runs/${otherRun}`, { token: otherUser })).status).toBe(200);

    // Approve: the next node needs a token and escalates token_revoked, with no exchange and no call.
    await stack.auth.resetStats();
    const morgan = await stack.auth.mintToken('morgan', [RESUME]);
    const approval = await stack.openEscalation(runId);
    expect((await stack.resolve(approval.id, morgan, { action: 'approve' })).status).toBe(200);
    const escalation = await eventually(
      () => stack.escalationsOf(runId),
      (rows) => rows.some((e) => e.status === 'open' && e.reason === 'token_revoked'),
      10000,
    );
    const revoked = escalation.find((e) => e.status === 'open')!;
    expect(revoked.node_id).toBe('submit');
    expect(revoked.detail).toContain(SESSION_REVOKED);
    expect((await stack.auth.stats()).exchanges.filter((e) => e.sub === user)).toEqual([]);
    expect(stack.resource.seen('GET', '/submit').length).toBe(0);

    // Resume with the old token: 422; with one issued after the event: the run goes on and succeeds.
    const stale = await stack.resolve(revoked.id, morgan, { action: 'resume', subjectToken: oldToken });
    expect(stale.status).toBe(422);
    const fresh = await stack.auth.mintToken(user, ['expenses:read', 'baton:runs:read']);
    const resumed = await stack.resolve(revoked.id, morgan, { action: 'resume', subjectToken: fresh });
    expect(resumed.status).toBe(200);
    const done = await stack.waitForRun(runId, fresh, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(stack.resource.seen('GET', '/submit').length).toBe(1);
    expect((await call(`${stack.api.url}/v1/runs/${runId}`, { token: fresh })).status).toBe(200);
  });

  it('a jti seen before is accepted again and applied once', async () => {
    const user = `dup-${randomUUID().slice(0, 8)}`;
    const token = await stack.auth.mintToken(user, ['expenses:read']);
    await runWaitingAtApproval(token);
    const event = set(issSub(user));
    expect((await sink.accept(event)).runsAffected).toBe(1);
    expect(await sink.accept(event)).toEqual({ duplicate: true, runsAffected: 0, applied: false });
    expect(await received(event.jti)).toHaveLength(1);
  });

  it('email names the runs whose token carried that email, case-insensitively; complex narrows to a session', async () => {
    const tag = randomUUID().slice(0, 8);
    const email = `Pat.${tag}@Example.com`;
    const s1 = await stack.auth.mintTokenWithClaims(`pat-${tag}`, ['expenses:read'], { email, sid: 's1' });
    const s2 = await stack.auth.mintTokenWithClaims(`pat-${tag}`, ['expenses:read'], { email, sid: 's2' });
    const run1 = await runWaitingAtApproval(s1);
    const run2 = await runWaitingAtApproval(s2);

    const bySession = set({
      format: 'complex',
      user: { format: 'email', email: email.toLowerCase() },
      session: { format: 'opaque', id: 's1' },
    });
    expect((await sink.accept(bySession)).runsAffected).toBe(1);
    const revokedRows = async () =>
      (
        await stack.db.query(`SELECT id FROM runs WHERE id = ANY($1) AND subject_token_revoked IS NOT NULL`, [
          [run1, run2],
        ])
      ).rows.map((r) => r.id);
    expect(await revokedRows()).toEqual([run1]);

    const byEmail = set({ format: 'email', email: email.toUpperCase() });
    const outcome = await sink.accept(byEmail);
    expect(outcome.runsAffected).toBe(2); // both runs of that email (run1 again: the newer event is named)
    expect((await revokedRows()).sort()).toEqual([run1, run2].sort());
    expect((await received(byEmail.jti))[0].details.subjectFormat).toBe('email');
  });

  it('token-claims-change revokes the runs but cuts off no token; verification and unknown types do nothing', async () => {
    const user = `claims-${randomUUID().slice(0, 8)}`;
    const token = await stack.auth.mintToken(user, ['expenses:read', 'baton:runs:read']);
    const runId = await runWaitingAtApproval(token);
    await sleep(1100);
    expect(await sink.accept(set(issSub(user), CLAIMS_CHANGE))).toEqual({
      duplicate: false,
      runsAffected: 1,
      applied: true,
    });
    expect((await call(`${stack.api.url}/v1/runs/${runId}`, { token })).status).toBe(200);

    const other = `quiet-${randomUUID().slice(0, 8)}`;
    const quietToken = await stack.auth.mintToken(other, ['expenses:read']);
    const quietRun = await runWaitingAtApproval(quietToken);
    for (const type of [T('ssf/event-type/verification'), 'urn:example:custom-event']) {
      const event = set(issSub(other), type);
      expect(await sink.accept(event)).toEqual({ duplicate: false, runsAffected: 0, applied: false });
      expect((await received(event.jti))[0].details).toMatchObject({
        eventType: type,
        applied: false,
        runsAffected: 0,
      });
    }
    const { rows } = await stack.db.query(`SELECT subject_token_revoked FROM runs WHERE id = $1`, [quietRun]);
    expect(rows[0].subject_token_revoked).toBeNull();
  });

  it('a subject of another issuer matches nothing and is audited as not applied', async () => {
    const event = set({ format: 'iss_sub', iss: 'https://elsewhere.example.com', sub: 'alice' });
    expect(await sink.accept(event)).toEqual({ duplicate: false, runsAffected: 0, applied: false });
    expect((await received(event.jti))[0].details.applied).toBe(false);
  });

  it('a downstream call in flight finishes and its result stands; the next node escalates instead of calling', async () => {
    const user = `slow-${randomUUID().slice(0, 8)}`;
    const token = await stack.auth.mintToken(user, ['expenses:read']);
    stack.resource.on('GET', '/slow', { status: 200, body: { slow: true }, delayMs: 1500 });
    const before = stack.resource.seen('GET', '/next').length;
    const started = await stack.startRun('sse-slow', token);
    await eventually(
      async () =>
        stack.resource.seen('GET', '/slow').filter((r) => r.headers['idempotency-key'] === `${started.body.id}:slow`),
      (seen) => seen.length === 1,
      10000,
    );
    expect((await sink.accept(set(issSub(user)))).runsAffected).toBe(1);
    const escalation = await stack.openEscalation(started.body.id);
    expect(escalation).toMatchObject({ reason: 'token_revoked', node_id: 'next' });
    const { rows } = await stack.db.query(
      `SELECT node_id, status, output FROM node_runs WHERE run_id = $1 ORDER BY position`,
      [started.body.id],
    );
    expect(rows[0]).toMatchObject({
      node_id: 'slow',
      status: 'succeeded',
      output: { status: 200, body: { slow: true } },
    });
    expect(rows[1]).toMatchObject({ node_id: 'next', status: 'waiting_for_human' });
    expect(stack.resource.seen('GET', '/next').length).toBe(before);
    const audit = await stack.auditOf(started.body.id);
    expect(audit.find((a) => a.operation === 'token.revoked')).toMatchObject({
      node_id: 'next',
      success: false,
      error: 'security_event',
      details: { eventType: SESSION_REVOKED },
    });
  });

  it('a node queued behind a retry delay pauses in the event’s own transaction, with the trail a worker writes; its job later does nothing', async () => {
    const user = `queued-${randomUUID().slice(0, 8)}`;
    const token = await stack.auth.mintToken(user, ['expenses:read']);
    stack.resource.on('GET', '/flaky', { status: 503, body: { busy: true } });
    stack.resource.on('GET', '/slow', { status: 200, body: { slow: true }, delayMs: 1500 });
    const flakyCalls = () =>
      stack.resource.seen('GET', '/flaky').filter((r) => r.headers['idempotency-key'] === `${queued}:flaky`).length;
    const queued = (await stack.startRun('sse-retry', token)).body.id as string;
    await eventually(
      async () =>
        (
          await stack.db.query(`SELECT status, attempts FROM node_runs WHERE run_id = $1 AND node_id = 'flaky'`, [
            queued,
          ])
        ).rows[0],
      (row) => row?.status === 'queued' && row.attempts === 1,
      10000,
    );
    expect(flakyCalls()).toBe(1);
    // A second run of the same user whose call is in flight: its next node pauses the worker's way.
    const lazy = (await stack.startRun('sse-slow', token)).body.id as string;
    await eventually(
      async () =>
        stack.resource.seen('GET', '/slow').filter((r) => r.headers['idempotency-key'] === `${lazy}:slow`).length,
      (n) => n === 1,
      10000,
    );
    await stack.auth.resetStats();

    const event = set(issSub(user));
    expect((await sink.accept(event)).runsAffected).toBe(2);

    // Paused already, when accept() returns: no worker has touched the node since.
    const [escalation] = (await stack.escalationsOf(queued)).filter((e) => e.status === 'open');
    expect(escalation).toMatchObject({ reason: 'token_revoked', node_id: 'flaky' });
    expect(escalation!.detail).toContain(SESSION_REVOKED);
    const node = async () =>
      (await stack.db.query(`SELECT status, attempts FROM node_runs WHERE run_id = $1 AND node_id = 'flaky'`, [queued]))
        .rows[0];
    expect(await node()).toEqual({ status: 'waiting_for_human', attempts: 2 });
    const { rows: run } = await stack.db.query(`SELECT status FROM runs WHERE id = $1`, [queued]);
    expect(run[0].status).toBe('waiting_for_human');

    // The trail of the paused attempt reads as the worker's own (the lazy run's next node), after security_event.applied.
    const trailOf = async (runId: string, nodeId: string) => {
      const audit = await stack.auditOf(runId);
      const applied = audit.findIndex((a) => a.operation === 'security_event.applied');
      const from = audit.findLastIndex((a) => a.operation === 'node.started' && a.node_id === nodeId);
      expect(from).toBeGreaterThan(applied);
      return audit.slice(from).map((a) => ({
        ...a,
        node_id: a.node_id === nodeId ? 'the node' : a.node_id,
        details: a.details && { ...a.details, attempt: undefined, escalationId: undefined },
      }));
    };
    await stack.openEscalation(lazy);
    const eager = await trailOf(queued, 'flaky');
    expect(eager.map((a) => a.operation)).toEqual([
      'node.started',
      'scope.narrowed',
      'token.revoked',
      'escalation.created',
    ]);
    expect(eager[2]).toMatchObject({
      error: 'security_event',
      details: { eventType: SESSION_REVOKED, jti: event.jti },
    });
    expect(eager).toEqual(await trailOf(lazy, 'next'));
    const started = (await stack.auditOf(queued)).filter(
      (a) => a.operation === 'node.started' && a.node_id === 'flaky',
    );
    expect(started.map((a) => a.details.attempt)).toEqual([1, 2]);

    // The retry's job comes due and claims nothing: no call, no exchange, no new attempt.
    const nodes = stack.worker!.get<Queue>(getQueueToken(QueueName.Nodes), { strict: false });
    expect(await nodes.getJob(`${queued}.flaky.2`)).toBeDefined();
    await eventually(
      () => nodes.getJob(`${queued}.flaky.2`),
      (job) => !job,
      15000,
    );
    expect(flakyCalls()).toBe(1);
    expect(await node()).toEqual({ status: 'waiting_for_human', attempts: 2 });
    expect((await stack.auditOf(queued)).filter((a) => a.operation === 'node.started')).toHaveLength(3); // first, flaky ×2
    expect((await stack.auth.stats()).exchanges.filter((e) => e.sub === user)).toEqual([]);
    expect(await stack.escalationsOf(queued)).toHaveLength(1);
  });
});
