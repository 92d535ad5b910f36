import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PORT_VARIABLES, redactedUrl, type DemoOptions, type DemoPorts } from './demo-options.js';

/**
 * What must hold before the demo starts anything: Postgres and Redis answer, and every port the
 * stack needs is free. Each check has a short timeout; none leaves a connection or socket open.
 */
export interface PreflightReport {
  postgres: CheckResult;
  redis: CheckResult;
  /** One entry per port that is taken. */
  takenPorts: { key: keyof DemoPorts; port: number; variable: string; what: string; reason: string }[];
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

const CONNECT_TIMEOUT_MS = 3000;
/** Postgres answered "database does not exist": the server is up, and the API creates the database. */
const UNDEFINED_DATABASE = '3D000';

export async function runPreflight(options: DemoOptions): Promise<PreflightReport> {
  const [postgres, redis, takenPorts] = await Promise.all([
    checkPostgres(options.databaseUrl),
    checkRedis(options.redisUrl),
    findTakenPorts(options.ports),
  ]);
  return { postgres, redis, takenPorts };
}

export function preflightPassed(report: PreflightReport): boolean {
  return report.postgres.ok && report.redis.ok && report.takenPorts.length === 0;
}

export async function checkPostgres(url: string): Promise<CheckResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (err) {
    if ((err as { code?: string }).code === UNDEFINED_DATABASE) return { ok: true };
    return { ok: false, reason: describeError(err) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(url: string): Promise<CheckResult> {
  let redis: Redis;
  try {
    redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
  } catch (err) {
    return { ok: false, reason: describeError(err) };
  }
  // With retries off, connect() rejects with "Connection is closed."; the 'error' event says why.
  let cause: unknown;
  redis.on('error', (err) => (cause ??= err));
  try {
    await redis.connect();
    await redis.ping();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: describeError(cause ?? err) };
  } finally {
    redis.disconnect();
  }
}

async function findTakenPorts(ports: DemoPorts): Promise<PreflightReport['takenPorts']> {
  const checks = (Object.entries(ports) as [keyof DemoPorts, number][]).map(async ([key, port]) => {
    const reason = await portProblem(port);
    return reason === null
      ? null
      : { key, port, variable: PORT_VARIABLES[key].variable, what: PORT_VARIABLES[key].what, reason };
  });
  return (await Promise.all(checks)).filter((c) => c !== null);
}

/**
 * Binds the port on every address (as the API does) and releases it at once. On Linux that fails
 * when anything listens on the port at any address, loopback included.
 */
function portProblem(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'EADDRINUSE' ? 'already in use' : describeError(err)),
    );
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** The most useful words of a connection error (Node gives an empty AggregateError for localhost). */
function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}

/** The message a newcomer sees when Postgres or Redis is down: what failed, and how to start them. */
export function preflightFailureMessage(options: DemoOptions, report: PreflightReport): string[] {
  const lines: string[] = [];
  if (!report.postgres.ok)
    lines.push(`✗ Postgres cannot be reached at ${redactedUrl(options.databaseUrl)} (${report.postgres.reason}).`);
  if (!report.redis.ok)
    lines.push(`✗ Redis cannot be reached at ${redactedUrl(options.redisUrl)} (${report.redis.reason}).`);
  if (!report.postgres.ok || !report.redis.ok) {
    lines.push(
      '',
      'The demo needs Postgres and Redis running. Start them with Docker:',
      '    docker compose up -d postgres redis',
      'or, on Debian or Ubuntu with the postgresql and redis-server packages installed:',
      '    sudo service postgresql start && sudo service redis-server start',
      'or point DATABASE_URL and REDIS_URL at servers that are running.',
    );
  }
  if (report.takenPorts.length > 0) {
    if (lines.length > 0) lines.push('');
    for (const taken of report.takenPorts)
      lines.push(`✗ Port ${taken.port} (${taken.variable}, ${taken.what}) is ${taken.reason}.`);
    const example = report.takenPorts[0]!;
    lines.push(
      `Stop what listens there, or choose other ports, e.g. ${example.variable}=${example.port + 100} npm run demo`,
    );
  }
  lines.push('Nothing was started.');
  return lines;
}
