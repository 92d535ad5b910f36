import { Module } from '@nestjs/common';
import { WorkflowDefinitionService } from './workflow-definition.service.js';
import { WorkflowRepository } from './workflow.repository.js';

/** Workflow definitions: validation and immutable versions. */
@Module({
  providers: [WorkflowRepository, WorkflowDefinitionService],
  exports: [WorkflowDefinitionService, WorkflowRepository],
})
export class WorkflowDefinitionsModule {}
