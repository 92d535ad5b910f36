import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { BATON_CONFIG, redisConnectionOptions, type BatonConfig } from '@baton/platform';
import { NodeQueue, QueueName } from './node-queue.js';

/** BullMQ on the configured Redis and prefix; exports the NodeQueue producer. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [BATON_CONFIG],
      useFactory: (config: BatonConfig) => ({
        // BullMQ types its own subset of ioredis options; these are plain ioredis options.
        connection: redisConnectionOptions(config.redisUrl) as ConnectionOptions,
        prefix: config.queuePrefix,
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Nodes }, { name: QueueName.Maintenance }),
  ],
  providers: [NodeQueue],
  exports: [NodeQueue, BullModule],
})
export class QueueModule {}
