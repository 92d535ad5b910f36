import type { Redis } from 'ioredis';
import type pg from 'pg';

/** Every value stored under a Redis key prefix, as text (for "no token ever reaches Redis"). */
export async function dumpRedis(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      parts.push(key);
      if (type === 'string') parts.push(String(await redis.get(key)));
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

/** Every row of every table in the public schema, as text. */
export async function dumpPostgres(db: pg.Client): Promise<string> {
  const { rows: tables } = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const { rows } = await db.query(`SELECT t::text AS row FROM "${tablename}" t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}
