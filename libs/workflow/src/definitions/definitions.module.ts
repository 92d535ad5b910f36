import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DefinitionCache } from './definition-cache.js';
import { WorkflowDefinitionService } from './workflow-definition.service.js';
import { WorkflowRepository } from './workflow.repository.js';

/** Workflow definitions: validation and immutable versions. */
@Module({
  imports: [AuditModule],
  providers: [WorkflowRepository, WorkflowDefinitionService, DefinitionCache],
  exports: [WorkflowDefinitionService, WorkflowRepository, DefinitionCache],
})
export class WorkflowDefinitionsModule {}
