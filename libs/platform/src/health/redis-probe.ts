import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { BatonConfig } from '../config/config.loader.js';
import { InjectConfig } from '../config/config.module.js';
import { createProbeClient } from '../redis/redis.js';

/** A dedicated Redis connection for readiness PINGs, so a probe never waits behind queue traffic. */
@Injectable()
export class RedisProbe implements OnModuleDestroy {
  private readonly client: Redis;

  constructor(@InjectConfig() config: BatonConfig) {
    this.client = createProbeClient(config.redisUrl);
    this.client.on('error', () => undefined); // reported through /health/ready, not as log spam
  }

  async ping(): Promise<void> {
    const answer = await this.client.ping();
    if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
