import pg from 'pg';

/** Postgres publishes a backend's statistics when it goes idle, at most once a second (else within 10 s). */
const FLUSH_MS = 1100;
const STABLE_READINGS = 3;
const MAX_WAIT_MS = 12_000;

/**
 * The bench's own connection to the bench database, which counts its own transactions (each query
 * here is one, autocommitted), and reads `pg_stat_database.xact_commit` once the apps' backends
 * have published theirs: after the first second, the reading is taken when it has not moved for
 * three readings in a row (or after 12 s). No process of the apps is touched.
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
    await sleep(FLUSH_MS);
    const started = Date.now();
    let last = -1;
    let same = 0;
    for (;;) {
      await this.query('SELECT pg_stat_force_next_flush()');
      const [row] = await this.query<{ xact_commit: string }>('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()');
      const commits = Number(row!.xact_commit);
      // Our own two statements per reading are in the next reading: discount them when comparing.
      same = last >= 0 && commits - last <= 2 ? same + 1 : 0;
      last = commits;
      if (same >= STABLE_READINGS - 1 || Date.now() - started > MAX_WAIT_MS) return { commits, own: this.own };
      await sleep(500);
    }
  }

  end(): Promise<void> {
    return this.client.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
