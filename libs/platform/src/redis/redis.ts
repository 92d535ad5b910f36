import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connection options for BullMQ and health checks. BullMQ requires `maxRetriesPerRequest: null`
 * for blocking workers; health checks use their own short-lived probing instead.
 */
export function redisConnectionOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** A client for PING only: fails fast instead of queueing commands while Redis is down. */
export function createProbeClient(redisUrl: string): Redis {
  return new Redis({
    ...redisConnectionOptions(redisUrl),
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 500, 5000),
    lazyConnect: false,
  });
}
