import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Each test run gets its own Postgres database and BullMQ prefix, so runs (and developers) sharing
 * one Postgres and Redis never see each other's rows or jobs. Jest workers inherit process.env.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const database = `baton_test_${runId}`;
  const admin = new pg.Client({ connectionString: withDatabase(base, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  process.env.BATON_TEST_DATABASE = database;
  process.env.DATABASE_URL = withDatabase(base, database);
  process.env.BATON_QUEUE_PREFIX = `baton_test_${runId}`;
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  process.env.BATON_ENCRYPTION_KEY ??= randomBytes(32).toString('base64');
  process.env.LOG_LEVEL ??= 'warn';
}

export function withDatabase(url: URL, database: string): string {
  const copy = new URL(url.toString());
  copy.pathname = `/${database}`;
  return copy.toString();
}
