import pg from 'pg';

/**
 * Postgres 15 publishes a backend's statistics when it goes idle, but not twice within a second; a
 * backend that flushed less than a second ago publishes 10 s later (PGSTAT_IDLE_INTERVAL), forced.
 */
const IDLE_FLUSH_MS = 10_500;

/**
 * The bench's own connection to the bench database, which counts its own transactions (each query
 * here is one, autocommitted), and reads `pg_stat_database.xact_commit` once every backend of the
 * apps has published its count: 10.5 s after the work stopped (the worker's sweeper ticks in that
 * time, a few transactions every 5 s). No process of the apps is touched.
 */
export class BenchDb {
  /** Transactions this connection committed so far. */
  own = 0;

  private constructor(private readonly client: pg.Client) {}

  static async connect(url: string): Promise<BenchDb> {
    const client = new pg.Client({ connectionString: url, application_name: 'baton-bench' });
    await client.connect();
    return new BenchDb(client);
  }

  async query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    this.own++;
    const { rows } = await this.client.query<T>(text, values);
    return rows;
  }

  /** xact_commit of the database with every backend's count published, and the bench's own transactions at that moment. */
  async settledCommits(): Promise<{ commits: number; own: number }> {
    await sleep(IDLE_FLUSH_MS);
    await this.query('SELECT pg_stat_force_next_flush()');
    const [row] = await this.query<{ xact_commit: string }>(
      'SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()',
    );
    return { commits: Number(row!.xact_commit), own: this.own };
  }

  end(): Promise<void> {
    return this.client.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
