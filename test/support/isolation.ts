import { randomBytes } from 'node:crypto';

/**
 * A database and queue prefix of its own for a suite that runs a worker: its sweeper and its queue
 * then never touch another suite's runs. Both derive from the run's names, so global teardown drops them.
 */
export function isolatedEnv(): { DATABASE_URL: string; BATON_QUEUE_PREFIX: string } {
  const suffix = randomBytes(3).toString('hex');
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_${suffix}`;
  return { DATABASE_URL: url.toString(), BATON_QUEUE_PREFIX: `${process.env.BATON_QUEUE_PREFIX}_${suffix}` };
}
