import { Module } from '@nestjs/common';
import { DefinitionCache } from './definition-cache.js';
import { WorkflowDefinitionService } from './workflow-definition.service.js';
import { WorkflowRepository } from './workflow.repository.js';

/** Workflow definitions: validation and immutable versions. */
@Module({
  providers: [WorkflowRepository, WorkflowDefinitionService, DefinitionCache],
  exports: [WorkflowDefinitionService, WorkflowRepository, DefinitionCache],
})
export class WorkflowDefinitionsModule {}
