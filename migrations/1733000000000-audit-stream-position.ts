import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live events (SPEC §13) need a stream position in commit order, which neither `id` nor `at` is:
 * both are taken at insert, and a transaction that commits late lands behind entries already sent.
 *
 * Each entry records its transaction id (`tx`, xid8, never wraps). Every transaction with an id below
 * the oldest one still running has finished, so the entries with `tx` below that horizon are final
 * (libs/workflow/src/live/audit-feed.ts computes it): a reader that sends them in (tx, id) order and remembers the last (tx, id) it sent can
 * resume from there without a gap or a repeat, across api replicas and restarts.
 *
 * A statement trigger sends `NOTIFY baton_audit` (delivered at commit, at most once per transaction
 * whatever the number of rows), so api replicas read new entries when there are some instead of polling.
 */
export class AuditStreamPosition1733000000000 implements MigrationInterface {
  name = 'AuditStreamPosition1733000000000';

  async up(q: QueryRunner): Promise<void> {
    // Rows written before this migration take the migration's own transaction id: all before any new one.
    await q.query(`ALTER TABLE audit_entries ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX audit_by_position ON audit_entries (tx, id)`);
    await q.query(`
      CREATE FUNCTION baton_audit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('baton_audit', '');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER audit_entries_notify AFTER INSERT ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION baton_audit_notify()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER audit_entries_notify ON audit_entries`);
    await q.query(`DROP FUNCTION baton_audit_notify()`);
    await q.query(`DROP INDEX audit_by_position`);
    await q.query(`ALTER TABLE audit_entries DROP COLUMN tx`);
  }
}
