import { describe, expect, it } from '@jest/globals';
import { demoOptions, DemoOptionsError, redactedUrl, type DemoOptions } from './demo-options.js';

describe('demo options', () => {
  it('defaults: the SPEC ports and URLs, a generated encryption key', () => {
    const options = demoOptions([], {}) as DemoOptions;
    expect(options).toMatchObject({
      once: false,
      databaseUrl: 'postgres://postgres:postgres@127.0.0.1:5432/baton',
      redisUrl: 'redis://127.0.0.1:6379',
      ports: { api: 3000, worker: 3001, devAuthServer: 4000, resourceServer: 5000 },
      queuePrefix: undefined,
      encryptionKeyGenerated: true,
    });
    expect(Buffer.from(options.encryptionKey, 'base64')).toHaveLength(32);
  });

  it('takes ports, URLs, the queue prefix and the key from the environment', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const env = {
      PORT: '3100',
      WORKER_PORT: '3101',
      DEV_AS_PORT: '4100',
      DEMO_RESOURCE_PORT: '5100',
      BATON_QUEUE_PREFIX: 'demo_x',
      BATON_ENCRYPTION_KEY: key,
      REDIS_URL: 'redis://r:1',
    };
    expect(demoOptions(['--once'], env)).toMatchObject({
      once: true,
      redisUrl: 'redis://r:1',
      ports: { api: 3100, worker: 3101, devAuthServer: 4100, resourceServer: 5100 },
      queuePrefix: 'demo_x',
      encryptionKey: key,
      encryptionKeyGenerated: false,
    });
  });

  it('refuses unknown arguments, bad ports and one port for two processes', () => {
    expect(() => demoOptions(['--twice'], {})).toThrow(DemoOptionsError);
    expect(() => demoOptions([], { PORT: 'http' })).toThrow('PORT must be a port number from 1 to 65535');
    expect(() => demoOptions([], { DEV_AS_PORT: '0' })).toThrow('DEV_AS_PORT must be a port number');
    expect(() => demoOptions([], { WORKER_PORT: '3000' })).toThrow('PORT and WORKER_PORT are both 3000');
    expect(demoOptions(['--help'], {})).toBe('help');
  });

  it('never prints a password', () => {
    expect(redactedUrl('postgres://postgres:s3cret@db:5432/baton')).toBe('postgres://postgres:***@db:5432/baton');
    expect(redactedUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
