import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { call } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { SseClient } from './support/sse-client.js';
import { eventually } from './support/waiting.js';
import { definition, expenseApproval, httpNode } from './support/workflows.js';

const SCOPES = ['expenses:read', 'expenses:write', 'expenses:notify'];
const AUDIT_READ = 'baton:audit:read';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

describe('live events (SPEC §13)', () => {
  let stack: RunStack;

  beforeAll(async () => {
    stack = await RunStack.start({
      extra: { api: { audience: 'baton-api', events: { heartbeatSeconds: 0.2, maxBufferedKiB: 16 } } },
    });
    stack.resource.on('GET', '/reports/7', { status: 200, body: { total: 312.5 } });
    stack.resource.on('POST', '/reports/7/submit', { status: 200, body: { submitted: true } });
    await stack.register(expenseApproval(stack.resource.url, 'live-expense'));
    await stack.register(
      definition('live-burst', [
        httpNode('a', `${stack.resource.url}/reports/7`),
        httpNode('b', `${stack.resource.url}/reports/7`, { dependsOn: ['a'] }),
        httpNode('c', `${stack.resource.url}/reports/7`, { dependsOn: ['a'] }),
      ]),
    );
  });

  afterAll(async () => {
    await stack?.close();
  });

  const runEvents = (id: string) => `${stack.api.url}/v1/runs/${id}/events`;
  const auditStream = (query = '') => `${stack.api.url}/v1/audit/stream${query ? `?${query}` : ''}`;

  /** A run of the sample waiting for its approval. */
  async function waitingRun(user: string) {
    const token = await stack.auth.mintToken(user, SCOPES);
    const started = await stack.startRun('live-expense', token, { reportId: 7 });
    expect(started.status).toBe(202);
    const approval = await stack.openEscalation(started.body.id);
    await stack.waitForRun(started.body.id, token, ['waiting_for_human']);
    return { id: started.body.id as string, token, approval };
  }

  async function trailOf(id: string, token: string): Promise<any[]> {
    const page = await call(`${stack.api.url}/v1/runs/${id}/audit?limit=200`, { token });
    expect(page.status).toBe(200);
    return page.body.items;
  }

  it('a run stream: snapshot, then each entry as it commits with the views it changed; the terminal run event ends it', async () => {
    const run = await waitingRun('lee');
    const before = await trailOf(run.id, run.token);
    const stream = await SseClient.connect(runEvents(run.id), { token: run.token });
    await stream.until((events) => events.length >= 1);
    expect(stream.events[0]!.event).toBe('snapshot');
    expect(stream.events[0]!.data).toMatchObject({ id: run.id, status: 'waiting_for_human' });
    expect(stream.events[0]!.data.nodes.map((n: any) => n.id)).toEqual(['fetch', 'approve', 'submit']);

    expect((await stack.resolve(run.approval.id, run.token, { action: 'approve' })).status).toBe(200);
    const events = await stream.end();
    expect(stream.ended).toBe(true);

    // The audit events are exactly the trail written after the stream opened, in chain order, none twice.
    const after = (await trailOf(run.id, run.token)).slice(before.length);
    expect(stream.audits().map((a) => a.id)).toEqual(after.map((a) => a.id));
    expect(stream.audits().map((a) => a.operation)).toContain('escalation.resolved');
    const ids = events.filter((e) => e.event === 'audit').map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);

    // The state events: the escalation resolved, the nodes as they changed, the run last.
    expect(events.find((e) => e.event === 'escalation')?.data).toMatchObject({
      id: run.approval.id,
      status: 'resolved',
      action: 'approve',
    });
    const nodeEvents = events.filter((e) => e.event === 'node').map((e) => e.data);
    expect(nodeEvents.filter((n) => n.id === 'approve').at(-1)).toMatchObject({ status: 'succeeded' });
    expect(nodeEvents.filter((n) => n.id === 'submit').at(-1)).toMatchObject({ status: 'succeeded' });
    const last = events.at(-1)!;
    expect(last.event).toBe('run');
    expect(last.data).toMatchObject({ id: run.id, status: 'succeeded' });
    expect(last.data.nodes).toBeUndefined();
    // The terminal entry came before the terminal run event.
    const terminalAudit = events.findIndex((e) => e.event === 'audit' && e.data.operation === 'run.succeeded');
    expect(terminalAudit).toBeGreaterThan(0);
    expect(terminalAudit).toBeLessThan(events.length - 1);
  });

  it('resumes with Last-Event-ID: every later entry of the run first, none twice; a terminal run then ends', async () => {
    const run = await waitingRun('kim');
    const first = await SseClient.connect(runEvents(run.id), { token: run.token });
    expect((await stack.resolve(run.approval.id, run.token, { action: 'approve' })).status).toBe(200);
    await first.end();
    const seen = first.events.filter((e) => e.event === 'audit');
    expect(seen.length).toBeGreaterThan(3);
    const resumeFrom = seen[1]!;

    const again = await SseClient.connect(runEvents(run.id), { token: run.token, lastEventId: resumeFrom.id });
    const events = await again.end();
    expect(events[0]!.event).toBe('snapshot');
    expect(events[0]!.data.status).toBe('succeeded');
    expect(again.audits().map((a) => a.id)).toEqual(seen.slice(2).map((e) => e.data.id));
    expect(events.at(-1)).toMatchObject({ event: 'run', data: { status: 'succeeded' } });

    // Without Last-Event-ID, a terminal run's stream is its snapshot and its terminal event.
    const plain = await SseClient.connect(runEvents(run.id), { token: run.token });
    expect((await plain.end()).map((e) => e.event)).toEqual(['snapshot', 'run']);
  });

  it('answers 404 for another user’s run, 400 for a Last-Event-ID it never sent, 401 without a token', async () => {
    const run = await waitingRun('owner-1');
    const other = await stack.auth.mintToken('someone-else', SCOPES);
    expect(await SseClient.open(runEvents(run.id), { token: other })).toMatchObject({
      status: 404,
      body: { status: 404 },
    });
    expect(await SseClient.open(runEvents('00000000-0000-4000-8000-000000000000'), { token: run.token })).toMatchObject(
      {
        status: 404,
      },
    );
    const bad = await SseClient.open(runEvents(run.id), { token: run.token, lastEventId: 'x-1' });
    expect(bad).toMatchObject({ status: 400, body: { status: 400 } });
    expect(JSON.stringify((bad as { body: unknown }).body)).toContain('Last-Event-ID');
    expect(await SseClient.open(runEvents(run.id))).toMatchObject({ status: 401 });
    // A reader of all runs may follow it.
    const reader = await stack.auth.mintToken('reader', ['baton:runs:read_all']);
    const stream = await SseClient.connect(runEvents(run.id), { token: reader });
    await stream.until((events) => events.length >= 1);
    expect(stream.events[0]!.data.id).toBe(run.id);
    stream.close();
    await stack.resolve(run.approval.id, run.token, { action: 'reject' });
  });

  it('sends a comment line as heartbeat, and ends the stream when the caller’s token expires', async () => {
    const run = await waitingRun('hb');
    const shortLived = await stack.auth.mintToken('hb', SCOPES, 2);
    const stream = await SseClient.connect(runEvents(run.id), { token: shortLived });
    await stream.until(() => stream.comments >= 3);
    expect(stream.comments).toBeGreaterThanOrEqual(3);
    await stream.end(10000);
    expect(stream.ended).toBe(true);
    expect(stream.events.map((e) => e.event)).toEqual(['snapshot']); // the run is still waiting
    await stack.resolve(run.approval.id, run.token, { action: 'reject' });
  });

  it('the audit stream delivers what GET /v1/audit lists for the same filter, live, in commit order', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    const stream = await SseClient.connect(
      auditStream('workflow=live-expense&operation=node.succeeded&operation=run.succeeded'),
      {
        token: auditor,
      },
    );
    await stream.until(() => stream.comments >= 1); // open and live
    const run = await waitingRun('streamer');
    await stack.resolve(run.approval.id, run.token, { action: 'approve' });
    await stack.waitForRun(run.id, run.token, TERMINAL);
    await stream.until((events) => events.some((e) => e.data.runId === run.id && e.data.operation === 'run.succeeded'));
    const listed = await call(
      `${stack.api.url}/v1/audit?runId=${run.id}&operation=node.succeeded&operation=run.succeeded&order=asc&limit=100`,
      { token: auditor },
    );
    const mine = stream.audits().filter((a) => a.runId === run.id);
    expect(mine.map((a) => a.id)).toEqual(listed.body.items.map((a: any) => a.id));
    expect(mine.map((a) => a.operation)).toEqual([
      'node.succeeded',
      'node.succeeded',
      'node.succeeded',
      'run.succeeded',
    ]);
    expect(stream.audits().every((a) => a.workflow === 'live-expense')).toBe(true);
    stream.close();
  });

  it('orders by commit, not by id: an entry of a transaction still open holds back later ones, then comes first', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    const stream = await SseClient.connect(auditStream('workflow=fx-late'), { token: auditor });
    await stream.until(() => stream.comments >= 1);
    const late = new pg.Client({ connectionString: stack.config.databaseUrl });
    await late.connect();
    try {
      await late.query('BEGIN');
      const [older] = (
        await late.query(
          `INSERT INTO audit_entries (tenant, operation, workflow, success) VALUES ('default', 'node.started', 'fx-late', true) RETURNING id::text`,
        )
      ).rows;
      const [newer] = (
        await stack.db.query(
          `INSERT INTO audit_entries (tenant, operation, workflow, success) VALUES ('default', 'node.started', 'fx-late', true) RETURNING id::text`,
        )
      ).rows;
      // Committed, but behind a transaction that may still commit before it in stream order.
      await stream.until((events) => events.length > 0, 600);
      expect(stream.audits()).toEqual([]);
      await late.query('COMMIT');
      await stream.until((events) => events.length >= 2);
      expect(stream.audits().map((a) => a.id)).toEqual([older.id, newer.id]);

      // Resuming after the first delivers the second alone, however the ids compare.
      const resumed = await SseClient.connect(auditStream('workflow=fx-late'), {
        token: auditor,
        lastEventId: stream.events[0]!.id,
      });
      await resumed.until((events) => events.length >= 1);
      await resumed.until(() => resumed.comments >= 2);
      expect(resumed.audits().map((a) => a.id)).toEqual([newer.id]);
      resumed.close();
      // `from` starts with the entries since then.
      const fromStart = await SseClient.connect(auditStream(`workflow=fx-late&from=2000-01-01`), { token: auditor });
      await fromStart.until((events) => events.length >= 2);
      expect(fromStart.audits().map((a) => a.id)).toEqual([older.id, newer.id]);
      fromStart.close();
    } finally {
      await late.end();
      stream.close();
    }
  });

  it('a transaction left open in another database does not hold the stream back', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    const stream = await SseClient.connect(auditStream('workflow=fx-elsewhere'), { token: auditor });
    await stream.until(() => stream.comments >= 1);
    const elsewhere = new URL(stack.config.databaseUrl);
    elsewhere.pathname = '/postgres';
    const other = new pg.Client({ connectionString: elsewhere.toString() });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()'); // a writing transaction: it has an xid
      const [entry] = (
        await stack.db.query(
          `INSERT INTO audit_entries (tenant, operation, workflow, success) VALUES ('default', 'node.started', 'fx-elsewhere', true) RETURNING id::text`,
        )
      ).rows;
      await stream.until((events) => events.length >= 1, 5000);
      expect(stream.audits().map((a) => a.id)).toEqual([entry.id]);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
      stream.close();
    }
  });

  it('survives losing its LISTEN connection: entries committed meanwhile arrive after it reconnects', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    const stream = await SseClient.connect(auditStream('workflow=fx-reconnect'), { token: auditor });
    const insert = async () =>
      (
        await stack.db.query(
          `INSERT INTO audit_entries (tenant, operation, workflow, success) VALUES ('default', 'node.started', 'fx-reconnect', true) RETURNING id::text`,
        )
      ).rows[0].id as string;
    try {
      const first = await insert();
      await stream.until((events) => events.length >= 1, 5000);
      const { rows } = await stack.db.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
         WHERE application_name = 'baton-audit-feed' AND datname = current_database()`,
      );
      expect(rows.length).toBeGreaterThan(0);
      const second = await insert(); // its NOTIFY goes nowhere: no one is listening now
      await stream.until((events) => events.length >= 2, 10000);
      expect(stream.audits().map((a) => a.id)).toEqual([first, second]);
      expect(stream.ended).toBe(false);
    } finally {
      stream.close();
    }
  });

  it('writers NOTIFY only while a feed is registered, and the feed reads on its own for one that missed it', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    const insert = async (workflow: string) =>
      (
        await stack.db.query(
          `INSERT INTO audit_entries (tenant, operation, workflow, success) VALUES ('default', 'node.started', $1, true) RETURNING id::text`,
          [workflow],
        )
      ).rows[0].id as string;
    const listener = new pg.Client({ connectionString: stack.config.databaseUrl });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.channel));
    await listener.query('LISTEN baton_audit');
    const registrations = async () =>
      (await stack.db.query(`SELECT count(*)::int AS n FROM audit_stream_listeners WHERE expires_at > now()`)).rows[0]
        .n as number;
    try {
      // No stream open: nothing registered, and a commit sends no notification.
      expect(await eventually(registrations, (n) => n === 0)).toBe(0);
      await insert('fx-quiet');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(heard).toEqual([]);

      // An api that died without unregistering, long ago: the next registration removes its row.
      await stack.db.query(
        `INSERT INTO audit_stream_listeners (id, expires_at) VALUES (gen_random_uuid(), now() - interval '2 hours')`,
      );
      const stream = await SseClient.connect(auditStream('workflow=fx-backstop'), { token: auditor });
      try {
        expect(await registrations()).toBe(1);
        expect((await stack.db.query(`SELECT count(*)::int AS n FROM audit_stream_listeners`)).rows[0].n).toBe(1);
        await insert('fx-heard');
        await eventually(
          async () => heard.length,
          (n) => n > 0,
          5000,
        );
        expect(heard).toEqual(['baton_audit']);

        // A writer that checked for listeners before this feed registered commits silently: the
        // feed's own reads still deliver its entry (the registration removed stands in for that).
        await stack.db.query(`DELETE FROM audit_stream_listeners`);
        const silent = await insert('fx-backstop');
        await stream.until(() => stream.audits().length >= 1, 5000);
        expect(stream.audits().map((a) => a.id)).toEqual([silent]);
        expect(heard).toEqual(['baton_audit']);
      } finally {
        stream.close();
      }
      // The last stream closed: the api takes its registration back.
      expect(await eventually(registrations, (n) => n === 0, 5000)).toBe(0);
    } finally {
      await listener.end();
    }
  });

  it('misses nothing while many runs write at once', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    // No wait for a heartbeat: once the stream answered 200, nothing written after it may be missed.
    const stream = await SseClient.connect(auditStream('workflow=live-burst'), { token: auditor });
    const token = await stack.auth.mintToken('burst', SCOPES);
    const runs = await Promise.all(Array.from({ length: 12 }, () => stack.startRun('live-burst', token, {})));
    for (const run of runs) await stack.waitForRun(run.body.id, token, TERMINAL);
    const { rows } = await stack.db.query(
      // The runs' entries: the workflow's version_created entry was written before the stream opened.
      `SELECT id::text FROM audit_entries WHERE workflow = 'live-burst' AND run_id IS NOT NULL ORDER BY id`,
    );
    await stream.until((events) => events.length >= rows.length, 5000);
    expect(
      stream
        .audits()
        .map((a) => a.id)
        .sort(),
    ).toEqual(rows.map((r) => r.id).sort());
    stream.close();
  });

  it('refuses the list parameters a stream cannot honour, and needs auditRead', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    for (const query of ['order=asc', 'to=2030-01-01', 'limit=5', 'cursor=abc', 'operation=nope', 'runId=42']) {
      const answer = await SseClient.open(auditStream(query), { token: auditor });
      expect(answer).toMatchObject({ status: 400, body: { status: 400 } });
    }
    const user = await stack.auth.mintToken('plain', SCOPES);
    expect(await SseClient.open(auditStream(), { token: user })).toMatchObject({ status: 403 });
  });

  it('drops a consumer that stops reading instead of buffering for it', async () => {
    const auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
    const slow = await SseClient.connect(auditStream('workflow=fx-flood'), { token: auditor });
    const brisk = await SseClient.connect(auditStream('workflow=fx-flood'), { token: auditor });
    await slow.until(() => slow.comments >= 1);
    slow.pause();
    const padding = 'x'.repeat(8000);
    const batches = 40;
    for (let i = 0; i < batches; i++) {
      await stack.db.query(
        `INSERT INTO audit_entries (tenant, operation, workflow, success, details)
         SELECT 'default', 'node.started', 'fx-flood', true, jsonb_build_object('pad', $1::text, 'n', n) FROM generate_series(1, 100) n`,
        [padding],
      );
    }
    // The reader that keeps up gets all of it; the one that does not is disconnected.
    await brisk.until((events) => events.length >= batches * 100, 30000);
    expect(brisk.audits()).toHaveLength(batches * 100);
    slow.resume();
    await slow.end(15000);
    expect(slow.ended).toBe(true);
    expect(slow.audits().length).toBeLessThan(batches * 100);
    brisk.close();
  });

  it('a run that fails while streaming ends its stream with the failed run', async () => {
    const run = await waitingRun('rejecter');
    const stream = await SseClient.connect(runEvents(run.id), { token: run.token });
    await stream.until((events) => events.length >= 1);
    expect((await stack.resolve(run.approval.id, run.token, { action: 'reject' })).status).toBe(200);
    const events = await stream.end();
    const final = await eventually(
      () => stack.getRun(run.id, run.token),
      (r) => TERMINAL.includes(r.body.status),
    );
    expect(events.at(-1)).toMatchObject({ event: 'run', data: { status: final.body.status } });
    expect(final.body.status).toBe('failed');
  });
});
