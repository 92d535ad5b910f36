import type pg from 'pg';

export interface SeedOptions {
  /** At least this many entries (runs are whole, so a few more). */
  entries: number;
  /** The entries span [end − days, end). */
  days: number;
  end: Date;
  users: number;
  agents: number;
  workflows: number;
  /** Runs with `longRunSize` entries each, so that one run has pages deep enough to measure. */
  longRuns: number;
  longRunSize: number;
}

export interface SeedReport {
  entries: number;
  runs: number;
  ms: { generate: number; chain: number; load: number; indexes: number; vacuum: number };
}

/**
 * Seeds `audit_entries` in a throwaway database, fast, with a valid hash chain:
 *
 * 1. runs and their entries are generated in SQL (generate_series) into unlogged staging tables,
 *    ids numbered in time order like an identity column would;
 * 2. each run's chain is computed by a recursive CTE with the schema's own `baton_audit_hash`,
 *    one chain level per step (an index lookup per entry, no UPDATE), half the runs in each of
 *    two sessions;
 * 3. the rows go in with one INSERT … SELECT in id order (so the heap is in time order, as in
 *    production), with the chain trigger disabled and the secondary indexes dropped; the indexes
 *    are then rebuilt (two sessions) from their own definitions (pg_get_indexdef), so the bench
 *    measures exactly the migrations' indexes.
 *
 * The per-row chain trigger (an advisory lock, a lookup of the run's last row and a hash) is what
 * the staging path replaces; verifying a seeded run gives valid: true.
 */
export async function seedAuditEntries(db: pg.Client, peer: pg.Client, options: SeedOptions): Promise<SeedReport> {
  const ms = { generate: 0, chain: 0, load: 0, indexes: 0, vacuum: 0 };
  const timed = async (phase: keyof SeedReport['ms'], work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    ms[phase] += performance.now() - started;
  };
  for (const client of [db, peer])
    await client.query(`SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'; SET synchronous_commit = off`);
  await db.query(`SELECT setseed(0.42)`);

  const shortRuns = Math.ceil(
    Math.max(0, options.entries - options.longRuns * options.longRunSize) / AVERAGE_SHORT_RUN,
  );
  await timed('generate', async () => {
    await db.query(RUNS_SQL, [
      options.longRuns,
      options.longRunSize,
      options.longRuns + shortRuns,
      options.end.toISOString(),
      options.days,
      options.users,
      options.agents,
      options.workflows,
    ]);
    await db.query(ENTRIES_SQL);
    await db.query(`CREATE INDEX ON bench_entries (run_id, run_seq)`);
    await db.query(`ANALYZE bench_entries`);
  });

  // Two sessions, half of the runs each (a run's chain is independent of every other run's).
  await timed('chain', () => Promise.all([db.query(chainSql(0)), peer.query(chainSql(1))]));

  const indexes: { indexname: string; indexdef: string }[] = (
    await db.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_entries' AND indexname <> 'audit_entries_pkey'`,
    )
  ).rows;
  await timed('load', async () => {
    for (const { indexname } of indexes) await db.query(`DROP INDEX ${quoteIdent(indexname)}`);
    await db.query('BEGIN');
    await db.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_chain');
    await db.query(LOAD_SQL);
    await db.query('ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_chain');
    await db.query(`SELECT setval(pg_get_serial_sequence('audit_entries', 'id'), (SELECT max(id) FROM audit_entries))`);
    await db.query('COMMIT');
  });
  await timed('indexes', async () => {
    const build = async (client: pg.Client, defs: string[]) => {
      for (const def of defs) await client.query(def);
    };
    const defs = indexes.map((i) => i.indexdef);
    await Promise.all([
      build(
        db,
        defs.filter((_, i) => i % 2 === 0),
      ),
      build(
        peer,
        defs.filter((_, i) => i % 2 === 1),
      ),
    ]);
  });
  await timed('vacuum', async () => {
    await db.query('DROP TABLE bench_chain_0, bench_chain_1, bench_entries');
    await db.query('VACUUM (ANALYZE) audit_entries');
  });

  const { rows } = await db.query(
    `SELECT count(*)::int AS entries, (SELECT count(*)::int FROM bench_runs) AS runs FROM audit_entries`,
  );
  return { entries: rows[0].entries, runs: rows[0].runs, ms };
}

/** Short runs have 8–40 entries (a run of one to seven nodes, five entries a node, plus start and end). */
const AVERAGE_SHORT_RUN = 24;

/** $1 long runs, $2 their size, $3 runs in all, $4 end, $5 days, $6 users, $7 agents, $8 workflows. */
const RUNS_SQL = `
  CREATE UNLOGGED TABLE bench_runs AS
  SELECT r AS run_no,
         md5('bench-run-' || r)::uuid AS run_id,
         size,
         step,
         $4::timestamptz - make_interval(days => $5) + random() * (make_interval(days => $5) - (size + 1) * step) AS started,
         'user-' || (1 + floor(random() * $6)::int) AS user_id,
         'agent-' || (1 + floor(random() * $7)::int) AS agent_id,
         'workflow-' || (1 + floor(random() * $8)::int) AS workflow,
         random() < 0.05 AS fails
  FROM generate_series(1, $3::int) AS r,
       LATERAL (SELECT CASE WHEN r <= $1 THEN $2::int ELSE 8 + (r % 33) END AS size,
                       CASE WHEN r <= $1 THEN interval '30 seconds' ELSE interval '350 milliseconds' END AS step) AS shape`;

const NODE_OPERATIONS = `ARRAY['node.started', 'scope.narrowed', 'token.exchanged', 'token.used', 'node.succeeded']`;

const ENTRIES_SQL = `
  CREATE UNLOGGED TABLE bench_entries AS
  SELECT row_number() OVER (ORDER BY at, run_id, run_seq) AS id, e.*
  FROM (
    SELECT date_trunc('milliseconds', r.started + (s.seq + 0.9 * random()) * r.step) AS at,
           op.operation,
           r.run_id,
           CASE WHEN s.seq IN (1, r.size) THEN NULL ELSE 'node-' || ((s.seq - 2) / 5 + 1) END AS node_id,
           r.workflow,
           r.agent_id,
           r.user_id,
           'https://issuer.example.com' AS issuer,
           CASE WHEN op.operation IN ('scope.narrowed', 'token.exchanged') THEN ARRAY['expenses:read', 'expenses:write'] END AS scopes,
           CASE op.operation WHEN 'token.exchanged' THEN 'https://api.example.com'
                             WHEN 'token.used' THEN 'GET https://api.example.com/reports/' || s.seq END AS target,
           NOT fail.failed AS success,
           CASE WHEN fail.failed THEN 'bench: ' || op.operation || ' failed' END AS error,
           CASE op.operation
             WHEN 'token.exchanged' THEN jsonb_build_object('cached', random() < 0.3, 'expiresAt', r.started + interval '5 minutes', 'jti', md5(r.run_id::text || s.seq))
             WHEN 'token.used' THEN jsonb_build_object('status', CASE WHEN fail.failed THEN 503 ELSE 200 END)
           END AS details,
           s.seq AS run_seq
    FROM bench_runs r
    CROSS JOIN LATERAL generate_series(1, r.size) AS s(seq)
    CROSS JOIN LATERAL (
      SELECT CASE
               WHEN s.seq = 1 THEN 'run.started'
               WHEN s.seq = r.size THEN CASE WHEN r.fails THEN 'run.failed' ELSE 'run.succeeded' END
               ELSE (${NODE_OPERATIONS})[(s.seq - 2) % 5 + 1]
             END AS operation) AS op
    CROSS JOIN LATERAL (
      SELECT CASE op.operation
               WHEN 'run.failed' THEN true
               WHEN 'token.exchanged' THEN random() < 0.04
               WHEN 'token.used' THEN random() < 0.03
               WHEN 'scope.narrowed' THEN random() < 0.01
               ELSE false
             END AS failed) AS fail
  ) e`;

/** The row as the table's composite type, for baton_audit_hash (the column order of audit_entries). */
const AS_AUDIT_ROW = (prev: string) =>
  `ROW(e.id, e.at, e.operation, e.run_id, e.node_id, e.workflow, e.agent_id, e.user_id, e.issuer, e.scopes, e.target, e.success, e.error, e.details, e.run_seq, ${prev}, NULL::bytea, '0'::xid8, 'default')::audit_entries`;

/**
 * The chains of half the runs (`part` 0 or 1), one chain level per recursion step. Nested loops
 * only: one index lookup per entry, where a hash or merge join would rescan the staging table at
 * every level.
 */
const chainSql = (part: 0 | 1) => `
  SET enable_hashjoin = off;
  SET enable_mergejoin = off;
  CREATE UNLOGGED TABLE bench_chain_${part} AS
  WITH RECURSIVE chain (id, run_id, run_seq, prev_hash, hash) AS (
    SELECT e.id, e.run_id, e.run_seq, NULL::bytea, baton_audit_hash(${AS_AUDIT_ROW('NULL::bytea')})
    FROM bench_entries e WHERE e.run_seq = 1 AND get_byte(uuid_send(e.run_id), 15) % 2 = ${part}
    UNION ALL
    SELECT e.id, e.run_id, e.run_seq, c.hash, baton_audit_hash(${AS_AUDIT_ROW('c.hash')})
    FROM chain c JOIN bench_entries e ON e.run_id = c.run_id AND e.run_seq = c.run_seq + 1
  )
  SELECT id, prev_hash, hash FROM chain;
  RESET enable_hashjoin;
  RESET enable_mergejoin`;

const LOAD_SQL = `
  INSERT INTO audit_entries (tenant, id, at, operation, run_id, node_id, workflow, agent_id, user_id, issuer, scopes, target, success, error, details, run_seq, prev_hash, hash)
  OVERRIDING SYSTEM VALUE
  SELECT 'default', e.id, e.at, e.operation, e.run_id, e.node_id, e.workflow, e.agent_id, e.user_id, e.issuer, e.scopes, e.target, e.success, e.error, e.details, e.run_seq, c.prev_hash, c.hash
  FROM bench_entries e JOIN (SELECT * FROM bench_chain_0 UNION ALL SELECT * FROM bench_chain_1) c USING (id)
  ORDER BY e.id`;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
