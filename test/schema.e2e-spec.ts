import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { openDataSource } from '../libs/platform/src/index.js';
import { entities } from '../libs/workflow/src/index.js';
import { migrations } from '../migrations/index.js';

describe('schema (migrations)', () => {
  let client: pg.Client;

  beforeAll(async () => {
    const dataSource = await openDataSource(process.env.DATABASE_URL!, entities, true);
    await dataSource.destroy();
    client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  });
  afterAll(() => client?.end());

  async function insertAudit(runId: string, operation: string): Promise<string> {
    const { rows } = await client.query(
      `INSERT INTO audit_entries (tenant, operation, run_id, success, details) VALUES ('default', $1, $2, true, '{"b":1,"a":2}') RETURNING id`,
      [operation, runId],
    );
    return rows[0].id;
  }

  it('running migrations again is a no-op (the lock and the migrations table work)', async () => {
    const dataSource = await openDataSource(process.env.DATABASE_URL!, entities, true);
    const { rows } = await client.query('SELECT count(*)::int AS n FROM migrations');
    await dataSource.destroy();
    expect(rows[0].n).toBe(migrations.length);
  });

  it('the audit table refuses UPDATE, DELETE and TRUNCATE from raw SQL', async () => {
    const id = await insertAudit(randomUUID(), 'run.started');
    await expect(client.query(`UPDATE audit_entries SET success = false WHERE id = $1`, [id])).rejects.toThrow(
      /append-only/,
    );
    await expect(client.query(`DELETE FROM audit_entries WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(client.query(`TRUNCATE audit_entries`)).rejects.toThrow(/append-only/);
    const { rows } = await client.query(`SELECT success FROM audit_entries WHERE id = $1`, [id]);
    expect(rows).toEqual([{ success: true }]);
  });

  it('chains each audit entry to the previous entry of its run', async () => {
    const runId = randomUUID();
    await insertAudit(runId, 'run.started');
    await insertAudit(runId, 'node.started');
    await insertAudit(randomUUID(), 'run.started'); // another run does not join this chain
    await insertAudit(runId, 'node.succeeded');
    const { rows } = await client.query(
      `SELECT run_seq, prev_hash, hash, hash = baton_audit_hash(a) AS intact FROM audit_entries a WHERE run_id = $1 ORDER BY run_seq`,
      [runId],
    );
    expect(rows.map((r) => r.run_seq)).toEqual([1, 2, 3]);
    expect(rows[0].prev_hash).toBeNull();
    expect(rows[1].prev_hash).toEqual(rows[0].hash);
    expect(rows[2].prev_hash).toEqual(rows[1].hash);
    expect(rows.every((r) => r.intact)).toBe(true);
  });

  it('workflow versions are immutable', async () => {
    await client.query(`INSERT INTO workflows (tenant, name, latest_version) VALUES ('default', 'immutable-test', 1)`);
    await client.query(
      `INSERT INTO workflow_versions (tenant, name, version, definition, created_by_iss, created_by_sub) VALUES ('default', 'immutable-test', 1, $1, 'i', 's')`,
      // A definition the API could have stored: other suites list workflows from this database.
      [JSON.stringify({ name: 'immutable-test', nodes: [{ id: 'a', type: 'approval', approval: { prompt: 'p' } }] })],
    );
    await expect(
      client.query(`UPDATE workflow_versions SET definition = '{"x":1}' WHERE name = 'immutable-test'`),
    ).rejects.toThrow(/append-only/);
  });
});
