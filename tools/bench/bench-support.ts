import { Redis } from 'ioredis';
import pg from 'pg';
import { request, type Dispatcher } from 'undici';

/** Plumbing shared by the bench's phases: JSON over HTTP, parallel lanes, a child's environment, cleanup. */

/** A JSON request (on `dispatcher`'s keep-alive connections); throws unless it answers `expect` (any 2xx when unset). */
export async function requestJson(
  dispatcher: Dispatcher,
  method: string,
  url: string,
  body?: unknown,
  bearer?: string,
  expect?: number,
): Promise<unknown> {
  const response = await request(url, {
    dispatcher,
    method: method as 'GET' | 'POST',
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(bearer && { authorization: `Bearer ${bearer}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  const ok =
    expect === undefined ? response.statusCode >= 200 && response.statusCode < 300 : response.statusCode === expect;
  if (!ok) throw new Error(`${method} ${url} answered ${response.statusCode}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Runs `task(i)` for i < count, at most `concurrency` at once. */
export async function lanes(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** The bench's own environment, for a child process. */
export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  return env;
}

export function withDatabase(url: string, name: string): string {
  const copy = new URL(url);
  copy.pathname = `/${name}`;
  return copy.toString();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
