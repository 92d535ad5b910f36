import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { eventually } from './support/waiting.js';
import { definition, expenseApproval } from './support/workflows.js';
import { verifyWebhookSignature } from '../libs/workflow/src/index.js';

const RESOLVER = 'baton:escalations:resolve';
const WEBHOOK_SECRET = 'webhook-test-secret';

/** A webhook receiver that records raw bodies and headers; it can be told to fail. */
class WebhookReceiver {
  readonly received: { body: string; signature: string }[] = [];
  status = 204;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}
  static async start(): Promise<WebhookReceiver> {
    let self: WebhookReceiver;
    const server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      self.received.push({ body, signature: String(req.headers['baton-signature'] ?? '') });
      res.writeHead(self.status).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    self = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    return self;
  }
  events(): {
    type: string;
    escalation: { id: string; status: string };
    run: { id: string; workflow: string; status: string };
  }[] {
    return this.received.map((r) => JSON.parse(r.body));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

describe('the human in the loop (SPEC §5)', () => {
  let stack: RunStack;
  let hook: WebhookReceiver;

  beforeAll(async () => {
    hook = await WebhookReceiver.start();
    stack = await RunStack.start(
      { extra: { notifications: { webhookUrl: hook.url, secretEnv: 'BATON_WEBHOOK_SECRET', allowPrivate: true } } },
      { env: { BATON_WEBHOOK_SECRET: WEBHOOK_SECRET } },
    );
    stack.resource.on('GET', '/reports/7', { status: 200, body: { total: 312.5 } });
    stack.resource.on('POST', '/reports/7/submit', { status: 200, body: { submitted: true } });
    await stack.register(expenseApproval(stack.resource.url));
    await stack.register(
      definition('one-call', [
        {
          id: 'call',
          type: 'http',
          oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/reports/7` },
        },
      ]),
    );
  });
  afterAll(async () => {
    await stack?.close();
    await hook?.close();
  });

  const scopes = ['expenses:read', 'expenses:write', 'expenses:notify'];

  it('revoked subject → token_revoked; resume with another sub → 403 and the run stays paused; with the same sub → the node runs again and the run succeeds', async () => {
    const token = await stack.auth.mintToken('rita', scopes);
    await stack.auth.revoke('rita');
    const started = await stack.startRun('one-call', token);
    const escalation = await stack.openEscalation(started.body.id);
    expect(escalation.reason).toBe('token_revoked');

    const intruder = await stack.auth.mintToken('victor', scopes);
    const wrongUser = await stack.resolve(escalation.id, token, { action: 'resume', subjectToken: intruder });
    expect(wrongUser.status).toBe(403);
    expect((await stack.getRun(started.body.id, token)).body.status).toBe('waiting_for_human');

    const invalid = await stack.resolve(escalation.id, token, { action: 'resume', subjectToken: 'not-a-jwt' });
    expect(invalid.status).toBe(422);
    const missing = await stack.resolve(escalation.id, token, { action: 'resume' });
    expect(missing.status).toBe(422);

    const fresh = await stack.auth.mintToken('rita', scopes); // signed in again after the revocation
    const resumed = await stack.resolve(escalation.id, token, {
      action: 'resume',
      subjectToken: fresh,
      note: 'signed in again',
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({
      id: escalation.id,
      status: 'resolved',
      action: 'resume',
      resolvedBy: 'rita',
      note: 'signed in again',
    });
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    expect(run.nodes[0].attempts).toBe(2);
    // The old subject is revoked at the authorization server, so a successful exchange can only have used the new token.
    const audit = await stack.auditOf(started.body.id);
    expect(audit.filter((a) => a.operation === 'token.exchanged' && a.success)).toHaveLength(1);
    expect(audit.find((a) => a.operation === 'escalation.resolved')!.details).toMatchObject({
      by: 'rita',
      action: 'resume',
    });
  });

  it('expired subject (a short-lived token, an approval in between) → token_expired → resume → success', async () => {
    const token = await stack.auth.mintToken('sam', scopes, 8); // the profile's skew is 5 s
    const started = await stack.startRun('expense-approval', token, { reportId: 7 });
    const approval = await stack.openEscalation(started.body.id);
    expect(approval).toMatchObject({ reason: 'approval_required', prompt: 'Submit report 7 for 312.5?' });
    await new Promise((r) => setTimeout(r, 4000)); // now exp ≤ now + skew
    expect((await stack.resolve(approval.id, token, { action: 'approve', note: 'ok' })).status).toBe(200);

    const expired = await eventually(
      () => stack.escalationsOf(started.body.id),
      (rows) => rows.some((e) => e.reason === 'token_expired'),
    );
    const escalation = expired.find((e) => e.reason === 'token_expired')!;
    expect(escalation.node_id).toBe('submit');
    const fresh = await stack.auth.mintToken('sam', scopes);
    expect((await stack.resolve(escalation.id, fresh, { action: 'resume', subjectToken: fresh })).status).toBe(200);
    const run = await stack.waitForRun(started.body.id, fresh, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    expect(run.nodes.find((n: { id: string }) => n.id === 'approve').output).toEqual({
      approved: true,
      by: 'sam',
      note: 'ok',
    });
    const submitted = stack.resource.seen('POST', '/reports/7/submit').at(-1)!;
    expect(submitted.body).toEqual({ total: 312.5 });
  });

  it('approve continues, reject fails the run, a second resolve is 409, a wrong action is 422', async () => {
    const token = await stack.auth.mintToken('tina', scopes);
    const approved = await stack.startRun('expense-approval', token, { reportId: 7 });
    const first = await stack.openEscalation(approved.body.id);
    expect((await stack.resolve(first.id, token, { action: 'resume', subjectToken: token })).status).toBe(422);
    expect((await stack.resolve(first.id, token, { action: 'launch' })).status).toBe(400);
    expect((await stack.resolve(first.id, token, { action: 'approve' })).status).toBe(200);
    expect((await stack.resolve(first.id, token, { action: 'approve' })).status).toBe(409);
    expect((await stack.waitForRun(approved.body.id, token, ['succeeded', 'failed'])).status).toBe('succeeded');

    const rejected = await stack.startRun('expense-approval', token, { reportId: 7 });
    const second = await stack.openEscalation(rejected.body.id);
    expect((await stack.resolve(second.id, token, { action: 'reject', note: 'too expensive' })).status).toBe(200);
    const run = await stack.waitForRun(rejected.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('failed');
    expect(run.nodes.map((n: { status: string }) => n.status)).toEqual(['succeeded', 'failed', 'skipped']);
    expect(run.nodes[1].error).toMatchObject({ code: 'rejected' });
  });

  it('two concurrent resolves: exactly one 200 and one 409', async () => {
    const token = await stack.auth.mintToken('uma', scopes);
    const started = await stack.startRun('expense-approval', token, { reportId: 7 });
    const escalation = await stack.openEscalation(started.body.id);
    const answers = await Promise.all([
      stack.resolve(escalation.id, token, { action: 'approve' }),
      stack.resolve(escalation.id, token, { action: 'reject' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const audit = await stack.auditOf(started.body.id);
    expect(audit.filter((a) => a.operation === 'escalation.resolved')).toHaveLength(1);
  });

  it('only the owner or a resolver sees and resolves an escalation; others get 404; lists filter by status, reason and run', async () => {
    const token = await stack.auth.mintToken('walt', scopes);
    const started = await stack.startRun('expense-approval', token, { reportId: 7 });
    const escalation = await stack.openEscalation(started.body.id);
    const stranger = await stack.auth.mintToken('xena', scopes);
    expect((await call(`${stack.api.url}/v1/escalations/${escalation.id}`, { token: stranger })).status).toBe(404);
    expect((await stack.resolve(escalation.id, stranger, { action: 'approve' })).status).toBe(404);
    const strangerList = await call(`${stack.api.url}/v1/escalations?runId=${started.body.id}`, { token: stranger });
    expect(strangerList.body.items).toEqual([]);

    const own = await call(`${stack.api.url}/v1/escalations?runId=${started.body.id}`, { token });
    expect(own.body.items.map((e: { id: string }) => e.id)).toEqual([escalation.id]);
    expect(own.body.items[0]).toMatchObject({
      reason: 'approval_required',
      status: 'open',
      workflow: 'expense-approval',
      runId: started.body.id,
      nodeId: 'approve',
    });

    const operator = await stack.auth.mintToken('olga', [RESOLVER]);
    const all = await call(
      `${stack.api.url}/v1/escalations?reason=approval_required&workflow=expense-approval&limit=200`,
      { token: operator },
    );
    expect(all.body.items.map((e: { id: string }) => e.id)).toContain(escalation.id);
    expect((await call(`${stack.api.url}/v1/escalations?status=weird`, { token: operator })).status).toBe(400);
    const resolved = await stack.resolve(escalation.id, operator, { action: 'approve', note: 'by ops' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.resolvedBy).toBe('olga');
    const closed = await call(`${stack.api.url}/v1/escalations?status=resolved&runId=${started.body.id}`, { token });
    expect(closed.body.items).toHaveLength(1);
  });

  it('the webhook receives correctly signed events for opened and resolved escalations', async () => {
    const token = await stack.auth.mintToken('yara', scopes);
    const started = await stack.startRun('expense-approval', token, { reportId: 7 });
    const escalation = await stack.openEscalation(started.body.id);
    await stack.resolve(escalation.id, token, { action: 'approve' });
    const received = await eventually(
      async () => hook.events().filter((e) => e.escalation.id === escalation.id),
      (events) => events.length >= 2,
    );
    expect(received.map((e) => e.type).sort()).toEqual(['escalation.opened', 'escalation.resolved']);
    expect(received[0]!.run).toMatchObject({ id: started.body.id, workflow: 'expense-approval' });
    for (const r of hook.received.filter((x) => x.body.includes(escalation.id))) {
      expect(verifyWebhookSignature(WEBHOOK_SECRET, r.body, r.signature)).toBe(true);
      expect(verifyWebhookSignature('wrong-secret', r.body, r.signature)).toBe(false);
      expect(r.body).not.toContain(token);
    }
  });

  it('cancelling a run closes its open escalation (abort by baton) and tells the webhook', async () => {
    const token = await stack.auth.mintToken('cora', scopes);
    const started = await stack.startRun('expense-approval', token, { reportId: 7 });
    const escalation = await stack.openEscalation(started.body.id);
    const cancelled = await call(`${stack.api.url}/v1/runs/${started.body.id}/cancel`, { token, method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.nodes.map((n: { status: string }) => n.status)).toEqual([
      'succeeded',
      'cancelled',
      'cancelled',
    ]);
    const closed = await call(`${stack.api.url}/v1/escalations/${escalation.id}`, { token });
    expect(closed.body).toMatchObject({
      status: 'resolved',
      action: 'abort',
      resolvedBy: 'baton',
      note: 'run cancelled',
    });
    expect((await stack.resolve(escalation.id, token, { action: 'approve' })).status).toBe(409);
    const events = await eventually(
      async () => hook.events().filter((e) => e.escalation.id === escalation.id),
      (e) => e.length >= 2,
    );
    expect(events.map((e) => e.type).sort()).toEqual(['escalation.opened', 'escalation.resolved']);
  });

  it('a webhook receiver answering 500 does not stall the run', async () => {
    hook.status = 500;
    try {
      const token = await stack.auth.mintToken('zack', scopes);
      const started = await stack.startRun('expense-approval', token, { reportId: 7 });
      const escalation = await stack.openEscalation(started.body.id);
      expect((await stack.resolve(escalation.id, token, { action: 'approve' })).status).toBe(200);
      expect((await stack.waitForRun(started.body.id, token, ['succeeded', 'failed'])).status).toBe('succeeded');
      await eventually(
        async () => hook.received.filter((r) => r.body.includes(escalation.id)).length,
        (n) => n >= 2,
      );
    } finally {
      hook.status = 204;
    }
  });
});

describe('escalation expiry', () => {
  let stack: RunStack;

  beforeAll(async () => {
    stack = await RunStack.start({ escalationTtlSeconds: 2 });
    stack.resource.on('GET', '/reports/7', { status: 200, body: { total: 1 } });
    await stack.register(expenseApproval(stack.resource.url));
  });
  afterAll(() => stack?.close());

  it('an escalation with a 2-second TTL expires and fails the run', async () => {
    const token = await stack.auth.mintToken('amy', ['expenses:read', 'expenses:write']);
    const started = await stack.startRun('expense-approval', token, { reportId: 7 });
    const escalation = await stack.openEscalation(started.body.id);
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded'], 15000);
    expect(run.status).toBe('failed');
    expect(run.nodes.map((n: { status: string }) => n.status)).toEqual(['succeeded', 'failed', 'skipped']);
    expect(run.nodes[1].error).toMatchObject({ code: 'escalation_expired' });
    expect((await stack.escalationsOf(started.body.id)).find((e) => e.id === escalation.id)!.status).toBe('expired');
    const audit = await stack.auditOf(started.body.id);
    expect(audit.filter((a) => a.operation === 'escalation.expired')).toHaveLength(1);
    expect((await stack.resolve(escalation.id, token, { action: 'approve' })).status).toBe(409);
  });

  it('expires also when the worker was restarted in between', async () => {
    const token = await stack.auth.mintToken('ben', ['expenses:read', 'expenses:write']);
    const started = await stack.startRun('expense-approval', token, { reportId: 7 });
    const escalation = await stack.openEscalation(started.body.id);
    await stack.stopWorker();
    await new Promise((r) => setTimeout(r, 3000)); // due while no worker runs
    expect((await stack.escalationsOf(started.body.id))[0]!.status).toBe('open');
    await stack.startWorker();
    const run = await stack.waitForRun(started.body.id, token, ['failed', 'succeeded'], 15000);
    expect(run.status).toBe('failed');
    expect((await stack.escalationsOf(started.body.id)).find((e) => e.id === escalation.id)!.status).toBe('expired');
  });
});
