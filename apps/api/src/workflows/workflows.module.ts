import { Module } from '@nestjs/common';
import { WorkflowDefinitionsModule } from '@baton/workflow';
import { WorkflowsController } from './workflows.controller.js';

@Module({ imports: [WorkflowDefinitionsModule], controllers: [WorkflowsController] })
export class WorkflowsModule {}
