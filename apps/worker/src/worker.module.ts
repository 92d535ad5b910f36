import { DynamicModule, Module } from '@nestjs/common';
import { BatonConfigModule, DatabaseModule, HealthModule, LoggingModule, MetricsModule, type BatonConfig } from '@baton/platform';
import { entities } from '@baton/workflow';

/** The worker process: BullMQ processors; its only HTTP surface is /metrics and /health/*. */
@Module({})
export class WorkerModule {
  static forRoot(config: BatonConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        BatonConfigModule.forRoot(config),
        LoggingModule.forRoot(config, 'baton-worker'),
        DatabaseModule.forRoot(config, entities),
        MetricsModule.forRoot('worker'),
        HealthModule,
      ],
    };
  }
}
