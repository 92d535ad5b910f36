import { Redis } from 'ioredis';
import pg from 'pg';

/** Drops the run's database and its queue keys; set BATON_TEST_KEEP=1 to keep them for a post-mortem. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.BATON_TEST_KEEP === '1') return;
  const database = process.env.BATON_TEST_DATABASE;
  if (database) {
    const admin = new pg.Client({ connectionString: withDatabase(process.env.DATABASE_URL!, 'postgres') });
    await admin.connect();
    // The run's database and the per-suite databases derived from its name (see isolation.ts).
    const { rows } = await admin.query(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $1 || '\\_%'`,
      [database],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
  }
  const prefix = process.env.BATON_QUEUE_PREFIX;
  if (prefix?.startsWith('baton_test_')) {
    const redis = new Redis(process.env.REDIS_URL!);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
}

// Global hooks are loaded outside jest's module mapper, so they do not import each other.
function withDatabase(url: string, database: string): string {
  const copy = new URL(url);
  copy.pathname = `/${database}`;
  return copy.toString();
}
