import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { loadBuiltLibs, type BuiltLibs } from './built-libs.js';
import { formatMs, percentile } from './percentiles.js';
import { seedAuditEntries, type SeedOptions } from './seed-audit.js';

export interface AuditBenchOptions {
  /** Entries to seed (default 1,000,000). */
  entries?: number;
  /** Timed repetitions of each query, service and SQL alternating (default 500, fewer for slow queries). */
  iterations?: number;
  /** Where to create the throwaway database (its name is replaced); default DATABASE_URL or the local Postgres. */
  databaseUrl?: string;
  /** Keep the database afterwards, for EXPLAIN by hand. */
  keepDatabase?: boolean;
  print?: (line: string) => void;
}

const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/baton';
const DAY = 86_400_000;
const LIMIT = 50;
const FIRST_PAGE_P95_MS = 20;
const MAX_RATIO = 1.3;
const STATS_P95_MS = 100;

/** The columns an entry shows, as a dashboard's hand-written SQL would select them. */
const COLUMNS =
  'id, at, operation, run_id, node_id, workflow, agent_id, user_id, issuer, scopes, target, success, error, details';

interface Scenario {
  name: string;
  page: 'first' | 'deep' | '-';
  /** Rows the query returns (a page, or stats items). */
  rows: number;
  service: () => Promise<unknown>;
  sql: () => Promise<unknown>;
  /** Targets that apply: a first page, or stats. */
  target: 'page' | 'stats' | 'none';
}

/**
 * Seeds ≥ 1,000,000 audit entries in a throwaway database (dropped at the end), then times the
 * real service path — AuditQuery (and AuditReader) against a TypeORM DataSource, with queries
 * parsed by the API's own parsers — beside the same query written by hand and sent through `pg`.
 * Prints p50/p95 of each, their ratio, and whether the targets hold (first page p95 < 20 ms and
 * ≤ 1.3× the SQL; a day of stats p95 < 100 ms).
 */
export async function runAuditBench(options: AuditBenchOptions = {}): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const iterations = options.iterations ?? 500;
  const libs = await loadBuiltLibs();
  const base = new URL(options.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const database = `baton_bench_audit_${randomBytes(3).toString('hex')}`;
  const url = withDatabase(base, database);
  const started = performance.now();
  let dataSource: DataSource | undefined;
  let db: pg.Client | undefined;
  let peer: pg.Client | undefined;
  try {
    dataSource = await libs.openDataSource(url, libs.entities, true); // creates the database and runs the migrations
    db = new pg.Client({ connectionString: url, application_name: 'baton-bench-audit' });
    peer = new pg.Client({ connectionString: url, application_name: 'baton-bench-audit' });
    await Promise.all([db.connect(), peer.connect()]);

    const end = new Date(Math.floor(Date.now() / DAY) * DAY);
    const seedOptions: SeedOptions = {
      entries: options.entries ?? 1_000_000,
      days: 28,
      end,
      users: 500,
      agents: 20,
      workflows: 50,
      longRuns: 20,
      longRunSize: 2000,
    };
    print(
      `bench-audit: seeding ${seedOptions.entries.toLocaleString('en')} entries over ${seedOptions.days} days in ${database} …`,
    );
    const seed = await seedAuditEntries(db, peer, seedOptions);
    await peer.end();
    peer = undefined;
    const phases = Object.entries(seed.ms)
      .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
      .join(', ');
    print(
      `bench-audit: ${seed.entries.toLocaleString('en')} entries in ${seed.runs.toLocaleString('en')} runs (${phases})`,
    );

    const scenarios = await buildScenarios(libs, dataSource, db, end);
    const results = [];
    for (const scenario of scenarios) results.push({ scenario, ...(await time(scenario, iterations)) });

    const verifier = new libs.AuditChainVerifier(dataSource);
    const longRun = await runId(db, 1);
    const verifyStarted = performance.now();
    const verdict = await verifier.verify(longRun);
    const verifyMs = performance.now() - verifyStarted;

    print('');
    print(table(results));
    print('');
    print(`parsing the query parameters (zod, not in the service column): p50 ${formatMs(await parseCost(libs))} ms`);
    print(
      `verify of a ${verdict.entries}-entry run: ${verdict.valid ? 'valid' : `broken at ${verdict.brokenAt}`} in ${formatMs(verifyMs)} ms`,
    );
    print(
      `targets: first page p95 < ${FIRST_PAGE_P95_MS} ms and ≤ ${MAX_RATIO}× the SQL; stats for a day p95 < ${STATS_P95_MS} ms`,
    );
    print(
      `bench-audit: up to ${iterations} timed rounds per query (n), within ~${BUDGET_MS_PER_SCENARIO / 1000} s each; total ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    await db?.end().catch(() => undefined);
    await peer?.end().catch(() => undefined);
    await dataSource?.destroy().catch(() => undefined);
    if (!options.keepDatabase) await dropDatabase(base, database);
    else print(`bench-audit: kept ${url}`);
  }
}

async function buildScenarios(libs: BuiltLibs, dataSource: DataSource, db: pg.Client, end: Date): Promise<Scenario[]> {
  const query = new libs.AuditQuery(dataSource);
  const reader = new libs.AuditReader(dataSource);
  const sql = (text: string, values: unknown[]) => () => db.query(text, values);
  // Query parameters are parsed once, by the API's own parser; the timed call is the service's.
  const list = (params: Record<string, unknown>) => {
    const parsed = libs.parseAuditListQuery({ ...params, limit: String(LIMIT) });
    return () => query.list(parsed);
  };
  const stats = (params: Record<string, unknown>) => {
    const parsed = libs.parseAuditStatsQuery(params);
    return () => query.stats(parsed);
  };
  /** The key of the row at `offset` in (at, id) DESC order among rows matching `where`, as a cursor. */
  const deepKey = async (where: string, values: unknown[], offset: number) => {
    const { rows } = await db.query(
      `SELECT at, id::text AS id FROM audit_entries WHERE ${where} ORDER BY at DESC, id DESC OFFSET ${offset - 1} LIMIT 1`,
      values,
    );
    return rows[0] as { at: Date; id: string };
  };
  const count = async (where: string, values: unknown[]) =>
    Number((await db.query(`SELECT count(*) FROM audit_entries WHERE ${where}`, values)).rows[0].count);
  const scenarios: Scenario[] = [];

  // (a) one user over a week
  const weekFrom = new Date(end.getTime() - 7 * DAY).toISOString();
  const weekTo = end.toISOString();
  const user = 'user-7';
  const userWhere = 'user_id = $1 AND at >= $2 AND at < $3';
  const userValues = [user, weekFrom, weekTo];
  const userRows = await count(userWhere, userValues);
  const userDeep = await deepKey(userWhere, userValues, pageBoundary(userRows));
  scenarios.push(
    page(
      '(a) one user, a week',
      'first',
      list({ userId: user, from: weekFrom, to: weekTo }),
      sql(
        `SELECT ${COLUMNS} FROM audit_entries WHERE ${userWhere} ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`,
        userValues,
      ),
    ),
    page(
      `(a) one user, a week (of ${userRows})`,
      'deep',
      list({ userId: user, from: weekFrom, to: weekTo, cursor: libs.encodeAuditCursor('desc', userDeep) }),
      sql(
        `SELECT ${COLUMNS} FROM audit_entries WHERE ${userWhere} AND (at, id) < ($4, $5) ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`,
        [...userValues, userDeep.at, userDeep.id],
      ),
    ),
  );

  // (b) one run (a long one, so that it has deep pages), through GET /v1/audit?runId= and GET /v1/runs/{id}/audit
  const run = await runId(db, 1);
  const runRows = await count('run_id = $1', [run]);
  const runDeep = await deepKey('run_id = $1', [run], pageBoundary(runRows));
  const runDeepSeq = pageBoundary(runRows);
  scenarios.push(
    page(
      '(b) one run',
      'first',
      list({ runId: run }),
      sql(`SELECT ${COLUMNS} FROM audit_entries WHERE run_id = $1 ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`, [run]),
    ),
    page(
      `(b) one run (of ${runRows})`,
      'deep',
      list({ runId: run, cursor: libs.encodeAuditCursor('desc', runDeep) }),
      sql(
        `SELECT ${COLUMNS} FROM audit_entries WHERE run_id = $1 AND (at, id) < ($2, $3) ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`,
        [run, runDeep.at, runDeep.id],
      ),
    ),
    page(
      '(b) run trail, by chain',
      'first',
      () => reader.forRun(run, LIMIT),
      sql(`SELECT ${COLUMNS}, run_seq FROM audit_entries WHERE run_id = $1 ORDER BY run_seq LIMIT ${LIMIT + 1}`, [run]),
    ),
    page(
      '(b) run trail, by chain',
      'deep',
      () => reader.forRun(run, LIMIT, Buffer.from(JSON.stringify([runDeepSeq])).toString('base64url')),
      sql(
        `SELECT ${COLUMNS}, run_seq FROM audit_entries WHERE run_id = $1 AND run_seq > $2 ORDER BY run_seq LIMIT ${LIMIT + 1}`,
        [run, runDeepSeq],
      ),
    ),
  );

  // (c) failures of one operation in a day
  const dayFrom = new Date(end.getTime() - DAY).toISOString();
  const dayTo = end.toISOString();
  const failWhere = `operation = $1 AND NOT success AND at >= $2 AND at < $3`;
  const failValues = ['token.exchanged', dayFrom, dayTo];
  const failRows = await count(failWhere, failValues);
  const failDeep = await deepKey(failWhere, failValues, pageBoundary(failRows));
  const failParams = { operation: 'token.exchanged', success: 'false', from: dayFrom, to: dayTo };
  scenarios.push(
    page(
      '(c) failed token.exchanged, a day',
      'first',
      list(failParams),
      sql(
        `SELECT ${COLUMNS} FROM audit_entries WHERE ${failWhere} ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`,
        failValues,
      ),
    ),
    page(
      `(c) failed token.exchanged, a day (of ${failRows})`,
      'deep',
      list({ ...failParams, cursor: libs.encodeAuditCursor('desc', failDeep) }),
      sql(
        `SELECT ${COLUMNS} FROM audit_entries WHERE ${failWhere} AND (at, id) < ($4, $5) ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`,
        [...failValues, failDeep.at, failDeep.id],
      ),
    ),
  );

  // (d) a day of stats by operation (hourly), and a week (daily)
  const statsSql = (bucket: string) =>
    `SELECT date_bin('1 ${bucket}', at, timestamptz '2001-01-01 00:00:00+00') AS start, operation, count(*) FILTER (WHERE success) AS success, count(*) FILTER (WHERE NOT success) AS failure
     FROM audit_entries WHERE at >= $1 AND at < $2 GROUP BY 1, 2 ORDER BY 1, 2`;
  const dayRows = await count('at >= $1 AND at < $2', [dayFrom, dayTo]);
  scenarios.push({
    name: `(d) stats by operation, a day hourly (${dayRows} entries)`,
    page: '-',
    rows: 0,
    target: 'stats',
    service: stats({ from: dayFrom, to: dayTo, bucket: 'hour', groupBy: 'operation' }),
    sql: sql(statsSql('hour'), [dayFrom, dayTo]),
  });
  scenarios.push({
    name: '(d) stats by operation, a week daily',
    page: '-',
    rows: 0,
    target: 'none',
    service: stats({ from: weekFrom, to: weekTo, bucket: 'day', groupBy: 'operation' }),
    sql: sql(statsSql('day'), [weekFrom, weekTo]),
  });

  // (e) the dashboard's landing page: everything, newest first
  // 100,000 entries deep; half-way on a small seeding (the tests' smoke run)
  const [{ total }] = (await db.query<{ total: number }>('SELECT count(*)::int AS total FROM audit_entries')).rows as [
    { total: number },
  ];
  const allDepth = Math.min(100_000, Math.floor(total / 2));
  const allDeep = await deepKey('true', [], allDepth);
  scenarios.push(
    page(
      '(e) everything, newest first',
      'first',
      list({}),
      sql(`SELECT ${COLUMNS} FROM audit_entries ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`, []),
    ),
    page(
      `(e) everything, newest first (at ${allDepth.toLocaleString('en-US')})`,
      'deep',
      list({ cursor: libs.encodeAuditCursor('desc', allDeep) }),
      sql(
        `SELECT ${COLUMNS} FROM audit_entries WHERE (at, id) < ($1, $2) ORDER BY at DESC, id DESC LIMIT ${LIMIT + 1}`,
        [allDeep.at, allDeep.id],
      ),
    ),
  );
  return scenarios;
}

/** What the API adds before calling the service: parsing a typical list query (median of many). */
async function parseCost(libs: BuiltLibs): Promise<number> {
  const params = {
    userId: 'user-7',
    from: '2026-11-15T00:00:00Z',
    to: '2026-11-22T00:00:00Z',
    operation: ['token.used', 'token.exchanged'],
    success: 'false',
    limit: '50',
  };
  const sample: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const started = performance.now();
    libs.parseAuditListQuery(params);
    sample.push(performance.now() - started);
  }
  return percentile(sample, 50);
}

function page(
  name: string,
  which: 'first' | 'deep',
  service: () => Promise<unknown>,
  sql: () => Promise<unknown>,
): Scenario {
  return { name, page: which, rows: 0, target: which === 'first' ? 'page' : 'none', service, sql };
}

/** A page boundary about 80% of the way through `rows` (at least the second page). */
function pageBoundary(rows: number): number {
  return Math.max(LIMIT, Math.floor((rows * 0.8) / LIMIT) * LIMIT);
}

/** Each scenario gets about this much measuring time at most, so slow queries do not stretch the run. */
const BUDGET_MS_PER_SCENARIO = 4000;

async function time(scenario: Scenario, iterations: number): Promise<{ service: number[]; sql: number[] }> {
  const service: number[] = [];
  const sql: number[] = [];
  const once = async (fn: () => Promise<unknown>, into?: number[]) => {
    const started = performance.now();
    const result = await fn();
    into?.push(performance.now() - started);
    return result;
  };
  // Warm up (plans, caches, V8), then size the run from a few warm pairs.
  const warmupStarted = performance.now();
  for (let i = 0; i < 20 && performance.now() - warmupStarted < BUDGET_MS_PER_SCENARIO / 4; i++) {
    await once(scenario.service);
    await once(scenario.sql);
  }
  const paceStarted = performance.now();
  for (let i = 0; i < 3; i++) {
    await once(scenario.service);
    await once(scenario.sql);
  }
  const pairMs = (performance.now() - paceStarted) / 3;
  const rounds = Math.min(iterations, Math.max(20, Math.floor(BUDGET_MS_PER_SCENARIO / pairMs)));
  const sample = (await once(scenario.service)) as { items?: unknown[] };
  scenario.rows = sample.items?.length ?? 0;
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so that neither always gets the warmer cache.
    if (i % 2 === 0) {
      await once(scenario.service, service);
      await once(scenario.sql, sql);
    } else {
      await once(scenario.sql, sql);
      await once(scenario.service, service);
    }
  }
  return { service, sql };
}

function table(results: { scenario: Scenario; service: number[]; sql: number[] }[]): string {
  const header = ['query', 'page', 'rows', 'n', 'service p50', 'p95', 'SQL p50', 'p95', 'ratio p50', 'p95', 'target'];
  const lines = results.map(({ scenario, service, sql }) => {
    const s50 = percentile(service, 50);
    const s95 = percentile(service, 95);
    const q50 = percentile(sql, 50);
    const q95 = percentile(sql, 95);
    const verdict = verdictOf(scenario.target, s95, s50 / q50, s95 / q95);
    return [
      scenario.name,
      scenario.page,
      String(scenario.rows),
      String(service.length),
      formatMs(s50),
      formatMs(s95),
      formatMs(q50),
      formatMs(q95),
      `${(s50 / q50).toFixed(2)}×`,
      `${(s95 / q95).toFixed(2)}×`,
      verdict,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) =>
    cells.map((c, i) => (i <= 1 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    row(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.map(row),
    '(times in ms; ratio = service / hand-written SQL)',
  ].join('\n');
}

function verdictOf(target: Scenario['target'], p95: number, ratio50: number, ratio95: number): string {
  if (target === 'stats') return p95 < STATS_P95_MS ? 'ok' : `MISSED p95 ≥ ${STATS_P95_MS} ms`;
  if (target !== 'page') return '';
  const missed = [
    p95 >= FIRST_PAGE_P95_MS && `p95 ≥ ${FIRST_PAGE_P95_MS} ms`,
    ratio50 > MAX_RATIO && 'ratio p50',
    ratio95 > MAX_RATIO && 'ratio p95',
  ].filter(Boolean);
  return missed.length ? `MISSED ${missed.join(', ')}` : 'ok';
}

async function runId(db: pg.Client, runNo: number): Promise<string> {
  return (await db.query(`SELECT md5('bench-run-' || $1::int)::uuid::text AS id`, [runNo])).rows[0].id;
}

function withDatabase(base: URL, database: string): string {
  const url = new URL(base.toString());
  url.pathname = `/${database}`;
  return url.toString();
}

async function dropDatabase(base: URL, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(base, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
