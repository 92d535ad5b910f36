import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { BATON_CONFIG, redisConnectionOptions, type BatonConfig } from '@baton/platform';
import { EscalationEvents } from '../escalations/escalation-events.js';
import { NodeQueue, QueueName } from './node-queue.js';

/** BullMQ on the configured Redis and prefix; exports the producers (node steps, escalation expiry and events). */
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
    BullModule.registerQueue(
      { name: QueueName.Nodes },
      { name: QueueName.Maintenance },
      { name: QueueName.Notifications },
    ),
  ],
  providers: [NodeQueue, EscalationEvents],
  exports: [NodeQueue, EscalationEvents, BullModule],
})
export class QueueModule {}
