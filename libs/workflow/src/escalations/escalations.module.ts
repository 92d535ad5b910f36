import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { WorkflowDefinitionsModule } from '../definitions/definitions.module.js';
import { QueueModule } from '../engine/queue.module.js';
import { StoresModule } from '../persistence/stores.module.js';
import { SubjectTokenModule } from '../runs/subject-token.module.js';
import { ApprovalPolicy } from './approval-policy.js';
import { EscalationQueries } from './escalation-queries.js';
import { EscalationResolver } from './escalation-resolver.js';
import { EscalationRepository } from './escalation.repository.js';

/**
 * The queue API side: list, read and resolve escalations. Needs an InboundTokenVerifier in scope
 * (the API's AuthModule provides it) to check `resume` tokens.
 */
@Module({
  imports: [AuditModule, WorkflowDefinitionsModule, QueueModule, SubjectTokenModule, StoresModule],
  providers: [EscalationRepository, EscalationResolver, EscalationQueries, ApprovalPolicy],
  exports: [EscalationResolver, EscalationQueries, ApprovalPolicy],
})
export class EscalationsModule {}
