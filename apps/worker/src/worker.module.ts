import { DynamicModule, Module } from '@nestjs/common';
import {
  BatonConfigModule,
  DatabaseModule,
  HealthModule,
  LoggingModule,
  MetricsModule,
  TracingModule,
  type BatonConfig,
} from '@baton/platform';
import { EngineModule, SecurityEventsModule, entities, type NodeHandler } from '@baton/workflow';
import { nodeHandlers } from './handlers/inspect-token.handler.js';
import { MaintenanceProcessor, SweepTimer } from './processors/maintenance.processor.js';
import { NodeProcessor } from './processors/node.processor.js';
import { NotificationProcessor } from './processors/notification.processor.js';

/** The worker process: BullMQ processors; its only HTTP surface is /metrics and /health/*. */
@Module({})
export class WorkerModule {
  static forRoot(config: BatonConfig, handlers: NodeHandler[] = nodeHandlers): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        BatonConfigModule.forRoot(config),
        LoggingModule.forRoot(config, 'baton-worker'),
        TracingModule.forRoot(config, 'baton-worker'),
        DatabaseModule.forRoot(config, entities),
        MetricsModule.forRoot('worker'),
        HealthModule,
        EngineModule.forRoot({ handlers }),
        SecurityEventsModule,
      ],
      providers: [NodeProcessor, MaintenanceProcessor, SweepTimer, NotificationProcessor],
    };
  }
}
