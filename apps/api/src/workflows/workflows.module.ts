import { Module } from '@nestjs/common';
import { PreflightModule, WorkflowDefinitionsModule } from '@baton/workflow';
import { WorkflowsController } from './workflows.controller.js';

@Module({ imports: [WorkflowDefinitionsModule, PreflightModule], controllers: [WorkflowsController] })
export class WorkflowsModule {}
