import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { definition, httpNode } from './support/workflows.js';

const AUDIT_READ = 'baton:audit:read';

describe('audit trail integrity and who may read it (SPEC §6, §7)', () => {
  let stack: RunStack;
  let owner: string;
  let stranger: string;
  let auditor: string;
  const get = (path: string, token: string) => call(`${stack.api.url}${path}`, { token });

  /** A finished run of alice's, with a trail of at least `min` entries. */
  async function finishedRun(): Promise<{ id: string; entries: { id: string; run_seq: number }[] }> {
    const started = await stack.startRun('chained', owner);
    expect((await stack.waitForRun(started.body.id, owner, ['succeeded', 'failed'])).status).toBe('succeeded');
    const { rows } = await stack.db.query(
      `SELECT id::text, run_seq FROM audit_entries WHERE run_id = $1 ORDER BY run_seq`,
      [started.body.id],
    );
    expect(rows.length).toBeGreaterThanOrEqual(12);
    return { id: started.body.id, entries: rows };
  }

  /** What a superuser can do behind the append-only trigger's back (one transaction, so no one else sees it disabled). */
  async function tamper(sql: string, values: unknown[]): Promise<void> {
    await stack.db.query('BEGIN');
    try {
      await stack.db.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
      const { rowCount } = await stack.db.query(sql, values);
      expect(rowCount).toBe(1);
      await stack.db.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
      await stack.db.query('COMMIT');
    } catch (error) {
      await stack.db.query('ROLLBACK');
      throw error;
    }
  }

  const verify = (runId: string, token = owner) => get(`/v1/runs/${runId}/audit/verify`, token);

  beforeAll(async () => {
    stack = await RunStack.start();
    stack.resource.on('GET', '/reports', { status: 200, body: { total: 12 } });
    const node = httpNode('fetch', `${stack.resource.url}/reports`);
    await stack.register(definition('chained', [node, { ...node, id: 'check', dependsOn: ['fetch'] }]));
    owner = await stack.auth.mintToken('alice', ['expenses:read']);
    stranger = await stack.auth.mintToken('mallory', ['expenses:read']);
    auditor = await stack.auth.mintToken('auditor', [AUDIT_READ]);
  });
  afterAll(() => stack?.close());

  it('verifies an intact trail: valid, every entry counted, nothing broken', async () => {
    const run = await finishedRun();
    const response = await verify(run.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ valid: true, entries: run.entries.length, brokenAt: null });
  });

  it('chains entries of two runs interleaved in one INSERT, and several INSERTs of one transaction', async () => {
    // The trigger keeps one run's unwritten head between rows; a row of another run must write it
    // first, and a later statement must chain on what the earlier ones wrote.
    const [a, b] = [await finishedRun(), await finishedRun()];
    const row = (run: string, op: string) => `('default', '${op}', '${run}'::uuid, 'chained', 'alice', 'iss', true)`;
    await stack.db.query('BEGIN');
    await stack.db.query(
      `INSERT INTO audit_entries (tenant, operation, run_id, workflow, user_id, issuer, success)
       VALUES ${[row(a.id, 'test.a1'), row(b.id, 'test.b1'), row(a.id, 'test.a2'), row(b.id, 'test.b2')].join(', ')}`,
    );
    await stack.db.query(
      `INSERT INTO audit_entries (tenant, operation, run_id, workflow, user_id, issuer, success) VALUES ${row(a.id, 'test.a3')}`,
    );
    await stack.db.query('COMMIT');
    for (const [run, added] of [
      [a, ['test.a1', 'test.a2', 'test.a3']],
      [b, ['test.b1', 'test.b2']],
    ] as const) {
      const { rows } = await stack.db.query(
        `SELECT operation, run_seq FROM audit_entries WHERE run_id = $1 AND run_seq > $2 ORDER BY run_seq`,
        [run.id, run.entries.length],
      );
      expect(rows).toEqual(added.map((operation, i) => ({ operation, run_seq: run.entries.length + i + 1 })));
      const head = await stack.db.query(`SELECT audit_seq FROM runs WHERE id = $1`, [run.id]);
      expect(head.rows[0].audit_seq).toBe(run.entries.length + added.length);
      expect((await verify(run.id)).body).toEqual({
        valid: true,
        entries: run.entries.length + added.length,
        brokenAt: null,
      });
    }
  });

  it('detects a row altered with the trigger disabled, at that row', async () => {
    const run = await finishedRun();
    const victim = run.entries[4]!;
    await tamper(`UPDATE audit_entries SET success = NOT success, error = 'nothing to see' WHERE id = $1`, [victim.id]);
    expect((await verify(run.id)).body).toEqual({ valid: false, entries: run.entries.length, brokenAt: victim.id });
  });

  it('detects a row altered and re-hashed, at the next row (its link no longer matches)', async () => {
    const run = await finishedRun();
    const victim = run.entries[3]!;
    await tamper(`UPDATE audit_entries a SET details = '{"forged": true}' WHERE id = $1`, [victim.id]);
    await tamper(`UPDATE audit_entries a SET hash = baton_audit_hash(a) WHERE id = $1`, [victim.id]);
    expect((await verify(run.id)).body).toEqual({
      valid: false,
      entries: run.entries.length,
      brokenAt: run.entries[4]!.id,
    });
  });

  it('detects a row deleted from the middle, at the row after the gap', async () => {
    const run = await finishedRun();
    await tamper(`DELETE FROM audit_entries WHERE id = $1`, [run.entries[6]!.id]);
    expect((await verify(run.id)).body).toEqual({
      valid: false,
      entries: run.entries.length - 1,
      brokenAt: run.entries[7]!.id,
    });
  });

  it('detects the first row deleted, at the new first row', async () => {
    const run = await finishedRun();
    await tamper(`DELETE FROM audit_entries WHERE id = $1`, [run.entries[0]!.id]);
    expect((await verify(run.id)).body).toEqual({
      valid: false,
      entries: run.entries.length - 1,
      brokenAt: run.entries[1]!.id,
    });
  });

  it('detects a row moved to another position of the chain', async () => {
    const run = await finishedRun();
    const [a, b] = [run.entries[2]!, run.entries[5]!];
    await tamper(`UPDATE audit_entries SET run_seq = -1 WHERE id = $1`, [a.id]);
    await tamper(`UPDATE audit_entries SET run_seq = $2 WHERE id = $1`, [b.id, a.run_seq]);
    await tamper(`UPDATE audit_entries SET run_seq = $2 WHERE id = $1`, [a.id, b.run_seq]);
    expect((await verify(run.id)).body).toEqual({ valid: false, entries: run.entries.length, brokenAt: b.id });
  });

  it('keeps refusing UPDATE and DELETE while the trigger is on', async () => {
    const run = await finishedRun();
    await expect(
      stack.db.query(`UPDATE audit_entries SET success = false WHERE id = $1`, [run.entries[1]!.id]),
    ).rejects.toThrow(/append-only/);
    await expect(stack.db.query(`DELETE FROM audit_entries WHERE id = $1`, [run.entries[1]!.id])).rejects.toThrow(
      /append-only/,
    );
    expect((await verify(run.id)).body.valid).toBe(true);
  });

  describe('who may read a trail', () => {
    let runId: string;
    beforeAll(async () => {
      runId = (await finishedRun()).id;
    });

    it('the owner, without auditRead, reads and verifies their own run', async () => {
      const trail = await get(`/v1/runs/${runId}/audit?limit=3`, owner);
      expect(trail.status).toBe(200);
      expect(trail.body.items.map((e: { operation: string }) => e.operation)[0]).toBe('run.started');
      const rest = await get(`/v1/runs/${runId}/audit?limit=200&cursor=${trail.body.nextCursor}`, owner);
      const { rows } = await stack.db.query(`SELECT id::text FROM audit_entries WHERE run_id = $1 ORDER BY run_seq`, [
        runId,
      ]);
      expect([...trail.body.items, ...rest.body.items].map((e: { id: string }) => e.id)).toEqual(rows.map((r) => r.id));
      expect(rest.body.nextCursor).toBeNull();
      expect((await verify(runId, owner)).status).toBe(200);
    });

    it('but not the dashboards: /v1/audit answers 403 with insufficient_scope', async () => {
      const response = await get(`/v1/audit?runId=${runId}`, owner);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${AUDIT_READ}"`);
    });

    it("another user sees 404 for someone else's trail and its verification", async () => {
      for (const path of [`/v1/runs/${runId}/audit`, `/v1/runs/${runId}/audit/verify`]) {
        const response = await get(path, stranger);
        expect(response.status).toBe(404);
        expect(response.contentType).toContain('application/problem+json');
      }
    });

    it('a holder of auditRead reads and verifies any run; unknown ids are 404', async () => {
      expect((await get(`/v1/runs/${runId}/audit`, auditor)).status).toBe(200);
      expect((await verify(runId, auditor)).body).toMatchObject({ valid: true, brokenAt: null });
      expect((await verify('8c1f6f7e-2d3c-4b5a-9e8f-7a6b5c4d3e2f', auditor)).status).toBe(404);
      expect((await verify('not-a-uuid', auditor)).status).toBe(404);
    });

    it('answers 400 for bad paging or unknown parameters', async () => {
      expect((await get(`/v1/runs/${runId}/audit?cursor=garbage`, owner)).status).toBe(400);
      expect(
        (await get(`/v1/runs/${runId}/audit?cursor=${Buffer.from('["x"]').toString('base64url')}`, owner)).status,
      ).toBe(400);
      expect((await get(`/v1/runs/${runId}/audit?limit=500`, owner)).status).toBe(400);
      expect((await get(`/v1/runs/${runId}/audit/verify?deep=1`, owner)).status).toBe(400);
    });
  });
});
