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
import { SecurityEventsModule, StateGaugesModule, entities } from '@baton/workflow';
import { AgentKeysModule } from './agents/agent-keys.module.js';
import { AuditApiModule } from './audit/audit-api.module.js';
import { AuthModule } from './auth/auth.module.js';
import { EscalationsModule } from './escalations/escalations.module.js';
import { LiveEventsApiModule } from './live/live-events-api.module.js';
import { RunsModule } from './runs/runs.module.js';
import { WorkflowsModule } from './workflows/workflows.module.js';
import { SsfApiModule } from './ssf/ssf-api.module.js';

/** The REST API process: controllers over the shared libs. */
@Module({})
export class ApiModule {
  static forRoot(config: BatonConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        BatonConfigModule.forRoot(config),
        LoggingModule.forRoot(config, 'baton-api'),
        TracingModule.forRoot(config, 'baton-api'),
        DatabaseModule.forRoot(config, entities),
        MetricsModule.forRoot('api'),
        HealthModule,
        SecurityEventsModule,
        AuthModule,
        WorkflowsModule,
        RunsModule,
        EscalationsModule,
        AuditApiModule,
        LiveEventsApiModule,
        AgentKeysModule,
        SsfApiModule,
        StateGaugesModule,
      ],
    };
  }
}
