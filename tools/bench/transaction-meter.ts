import type pg from 'pg';
import { BENCH_MARK, totalTransactions, type CounterSnapshot, type StatementCounter } from './statement-counter.js';

export interface TransactionReading {
  /** `pg_stat_database.xact_commit` of the bench database. */
  xactCommit: number;
  xactRollback: number;
  /** `pg_stat_database.sessions`: connections opened so far (each commits transactions of its own while it starts). */
  sessions: number;
  /** The client-side counts at the moment of the reading. */
  counts: CounterSnapshot;
  /** Autovacuum and autoanalyze runs on the database's tables so far (they commit transactions too). */
  autovacuum: number;
  /** False when the reading never agreed with the client-side count (some statistics were still unflushed). */
  settled: boolean;
}

/** Postgres flushes a backend's pending statistics at most once a second (PG 15+ PGSTAT_MIN_INTERVAL). */
const FLUSH_INTERVAL_MS = 1100;
const MAX_ROUNDS = 5;
/** Touches end this far apart, so backends do not flush at the same instant (a contended flush is skipped). */
const STAGGER_SECONDS = 0.015;

/**
 * Reads `pg_stat_database.xact_commit` so that every transaction committed before the reading is in
 * it. Since PG 15 a backend publishes its counters when it goes idle, but not twice within a second
 * (else up to 10 s later), and `pg_stat_force_next_flush()` only reaches the calling backend. On
 * PG 15 an idle backend whose last transaction was read-only does not publish either (its
 * transaction stop time is stale), so the touch takes a transaction id. In rounds: wait a second,
 * run that statement on every connection of the apps' pools, staggered so backends do not contend
 * for the database's entry, force the bench connection's flush and read. From the second round on,
 * the reading is kept once the growth since the previous round equals the growth the client-side
 * counter saw, i.e. every transaction is in (the touches included).
 */
export class TransactionMeter {
  constructor(
    private readonly client: pg.Client,
    private readonly pools: { pool: pg.Pool; size: number }[],
    private readonly counter: StatementCounter,
  ) {}

  async read(): Promise<TransactionReading> {
    let previous: TransactionReading | undefined;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      await sleep(FLUSH_INTERVAL_MS);
      await this.touchEveryConnection();
      const reading = await this.readOnce();
      if (previous && reading.xactCommit - previous.xactCommit === totalTransactions(reading.counts) - totalTransactions(previous.counts)) return reading;
      previous = reading;
    }
    return { ...previous!, settled: false };
  }

  private async readOnce(): Promise<TransactionReading> {
    await this.client.query('SELECT pg_stat_force_next_flush()');
    const counts = this.counter.snapshot();
    const { rows } = await this.client.query<{ xact_commit: string; xact_rollback: string; sessions: string }>(
      'SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database WHERE datname = current_database()',
    );
    const vacuums = await this.client.query<{ n: string }>('SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) AS n FROM pg_stat_user_tables');
    return {
      xactCommit: Number(rows[0]!.xact_commit),
      xactRollback: Number(rows[0]!.xact_rollback),
      sessions: Number(rows[0]!.sessions),
      counts,
      autovacuum: Number(vacuums.rows[0]!.n),
      settled: true,
    };
  }

  /** Holds every connection of each pool at once (opening missing ones), so each backend runs a statement. */
  private async touchEveryConnection(): Promise<void> {
    let i = 0;
    await Promise.all(
      this.pools.flatMap(({ pool, size }) =>
        Array.from({ length: size }, () => pool.query(`SELECT pg_sleep(${(0.02 + i++ * STAGGER_SECONDS).toFixed(3)}), pg_current_xact_id() ${BENCH_MARK}`)),
      ),
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
