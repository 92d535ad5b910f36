import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail's read side (SPEC §7): indexes for the dashboards' queries, chosen with EXPLAIN
 * on a million seeded entries (tools/bench-audit), and the millisecond guarantee keyset cursors
 * rely on.
 *
 * Every list query is `<equality filters> AND <time range> AND (at, id) <|> cursor ORDER BY at, id
 * LIMIT n`; a btree on (<column>, at, id) answers it by reading about n entries, however deep the
 * page. The initial schema has those for user, operation, workflow and agent; this adds:
 * - audit_by_run (run_id, at, id): GET /v1/audit?runId=… (audit_run_chain orders by run_seq, so
 *   for a long run the planner walked the whole time index backwards instead: 58 ms → 0.1 ms);
 * - audit_failures_by_operation and audit_failures, partial on NOT success: "what failed" views read
 *   only failed entries instead of filtering a day of successes away; they hold only failures, so
 *   they cost nothing on the (successful) common insert;
 * - audit_by_at with operation and success INCLUDEd: stats grouped by operation (the default) and
 *   unfiltered lists become index-only scans (a day of hourly stats at 36k entries a day: ~28 ms →
 *   ~20 ms). Index-only scans need the visibility map, which VACUUM sets; the table is insert-only,
 *   so autovacuum is told to run after 1% new rows rather than 20%, keeping recent days visible.
 */
export class AuditIndexes1732400000000 implements MigrationInterface {
  name = 'AuditIndexes1732400000000';

  async up(q: QueryRunner): Promise<void> {
    // `at` is written as date_trunc('milliseconds', …); the check makes it a guarantee, so a
    // JavaScript Date in a cursor names a row exactly (no row skipped or repeated between pages).
    await q.query(
      `ALTER TABLE audit_entries ADD CONSTRAINT audit_at_milliseconds CHECK (at = date_trunc('milliseconds', at))`,
    );
    await q.query(`CREATE INDEX audit_by_run ON audit_entries (run_id, at, id) WHERE run_id IS NOT NULL`);
    await q.query(`CREATE INDEX audit_failures_by_operation ON audit_entries (operation, at, id) WHERE NOT success`);
    await q.query(`CREATE INDEX audit_failures ON audit_entries (at, id) WHERE NOT success`);
    await q.query(`DROP INDEX audit_by_at`);
    await q.query(`CREATE INDEX audit_by_at ON audit_entries (at, id) INCLUDE (operation, success)`);
    await q.query(`ALTER TABLE audit_entries SET (autovacuum_vacuum_insert_scale_factor = 0.01)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_entries RESET (autovacuum_vacuum_insert_scale_factor)`);
    await q.query(`DROP INDEX audit_by_at`);
    await q.query(`CREATE INDEX audit_by_at ON audit_entries (at, id)`);
    await q.query(`DROP INDEX audit_failures`);
    await q.query(`DROP INDEX audit_failures_by_operation`);
    await q.query(`DROP INDEX audit_by_run`);
    await q.query(`ALTER TABLE audit_entries DROP CONSTRAINT audit_at_milliseconds`);
  }
}
