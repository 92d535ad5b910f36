import pg from 'pg';
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { migrations } from '../../../../migrations/index.js';

/** A fixed key so that every Baton process serialises on the same advisory lock. */
const MIGRATION_LOCK_KEY = 0x0ba7_0001;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

export function dataSourceOptions(databaseUrl: string, entities: EntityList): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: 10, application_name: 'baton' },
  };
}

/** Advisory lock key taken on the maintenance database while creating Baton's database. */
const CREATE_DATABASE_LOCK = 0x6261746f; // "bato"

/** Creates the database named in the URL when it does not exist (SPEC §2). */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!database) return;
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    // An api and a worker starting together would both try CREATE DATABASE; the loser's failure
    // is an ERROR in the server log. A session advisory lock on the maintenance database makes
    // them take turns, so the second one finds the database (issue 10 item 13).
    await client.query('SELECT pg_advisory_lock($1)', [CREATE_DATABASE_LOCK]);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        // Another process (not holding this lock: an older version) created it first.
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs pending migrations under a session-level advisory lock, so that an api and a worker starting
 * together never both migrate. Returns the names of the migrations that ran.
 */
export async function migrateWithLock(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** Opens a DataSource, creating the database and running migrations first unless told not to. */
export async function openDataSource(databaseUrl: string, entities: EntityList, migrate: boolean): Promise<DataSource> {
  if (migrate) await ensureDatabaseExists(databaseUrl);
  const dataSource = new DataSource(dataSourceOptions(databaseUrl, entities));
  await dataSource.initialize();
  keepClientErrorsFromCrashing(dataSource);
  if (migrate) await migrateWithLock(dataSource);
  return dataSource;
}

type ErrorEmitter = { on(event: 'error', listener: (error: unknown) => void): unknown };

/**
 * node-postgres emits `error` on a pooled client when the server goes away (57P01 "terminating
 * connection due to administrator command" when Postgres stops); in the window where neither the
 * pool nor TypeORM listens, that would crash the process. Every client gets a listener of its own
 * (issue 10 item 14): requests then fail with a connection error, which the API answers as 503.
 */
function keepClientErrorsFromCrashing(dataSource: DataSource): void {
  const pool = (
    dataSource.driver as unknown as {
      master?: { on(event: 'connect', listener: (client: ErrorEmitter) => void): unknown; _clients?: ErrorEmitter[] };
    }
  ).master;
  if (!pool) return;
  const ignore = () => undefined; // the pool and TypeORM report it; this only keeps it from being unhandled
  pool.on('connect', (client) => client.on('error', ignore));
  for (const client of pool._clients ?? []) client.on('error', ignore);
}
