import { Module } from '@nestjs/common';
import { WorkflowDefinitionsModule } from '../definitions/definitions.module.js';
import { QueueModule } from '../engine/queue.module.js';
import { RunRepository } from './run.repository.js';
import { RunService } from './run.service.js';
import { StoresModule } from '../persistence/stores.module.js';
import { SubjectTokenModule } from './subject-token.module.js';

/** Starting, reading and cancelling runs (the API side). */
@Module({
  imports: [WorkflowDefinitionsModule, QueueModule, SubjectTokenModule, StoresModule],
  providers: [RunRepository, RunService],
  exports: [RunService, RunRepository],
})
export class RunsModule {}
