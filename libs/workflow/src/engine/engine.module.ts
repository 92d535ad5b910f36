import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { BATON_CONFIG, type BatonConfig } from '@baton/platform';
import { AuditModule } from '../audit/audit.module.js';
import { WorkflowDefinitionsModule } from '../definitions/definitions.module.js';
import { ClosedEscalationsListener } from '../escalations/closed-escalations-listener.js';
import { EscalationExpirer } from '../escalations/escalation-expirer.js';
import { EscalationRepository } from '../escalations/escalation.repository.js';
import { WebhookSender } from '../notifications/webhook-sender.js';
import { HandlerRegistry } from './handlers/handler-registry.js';
import { NODE_HANDLERS, type NodeHandler } from './handlers/node-handler.js';
import { NodeExecutor } from './node-executor.js';
import { NodeConcurrency } from './node-concurrency.js';
import { NodeRunner } from './node-runner.js';
import { NodeSweeper } from './node-sweeper.js';
import { ReadyNodesListener } from './ready-nodes-listener.js';
import { TenantExchangers } from './tenant-exchangers.js';
import { WorkflowNodeExecutor } from './workflow-node.js';
import { QueueModule } from './queue.module.js';
import { StoresModule } from '../persistence/stores.module.js';
import { SubjectTokenModule } from '../runs/subject-token.module.js';
import { TokenReleaser } from '../signals/token-releaser.js';
import { SetPoller } from '../signals/set-poller.js';

/** The execution engine the worker hosts: claim, execute, record, sweep, expire, notify. */
@Module({})
export class EngineModule {
  static forRoot(options: { handlers?: NodeHandler[] } = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: NODE_HANDLERS, useValue: options.handlers ?? [] },
      {
        provide: TenantExchangers,
        inject: [BATON_CONFIG],
        useFactory: (config: BatonConfig) => new TenantExchangers(config),
      },
      TokenReleaser,
      SetPoller,
      HandlerRegistry,
      NodeExecutor,
      WorkflowNodeExecutor,
      ReadyNodesListener,
      ClosedEscalationsListener,
      NodeRunner,
      NodeConcurrency,
      NodeSweeper,
      EscalationRepository,
      EscalationExpirer,
      WebhookSender,
    ];
    return {
      module: EngineModule,
      imports: [QueueModule, AuditModule, WorkflowDefinitionsModule, SubjectTokenModule, StoresModule],
      providers,
      exports: [
        NodeRunner,
        NodeConcurrency,
        NodeSweeper,
        HandlerRegistry,
        QueueModule,
        EscalationExpirer,
        WebhookSender,
        StoresModule,
      ],
    };
  }
}
