import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { WorkflowDefinitionsModule } from '../definitions/definitions.module.js';
import { QueueModule } from '../engine/queue.module.js';
import { RunProgress } from '../engine/run-progress.js';
import { RunRepository } from './run.repository.js';
import { RunService } from './run.service.js';
import { SubjectTokenModule } from './subject-token.module.js';

/** Starting, reading and cancelling runs (the API side). */
@Module({
  imports: [AuditModule, WorkflowDefinitionsModule, QueueModule, SubjectTokenModule],
  providers: [RunRepository, RunService, RunProgress],
  exports: [RunService, RunRepository],
})
export class RunsModule {}
