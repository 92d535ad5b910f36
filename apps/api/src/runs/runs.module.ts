import { Module } from '@nestjs/common';
import { AuditModule, RunsModule as RunsDomainModule } from '@baton/workflow';
import { RunCallers } from './run-caller.js';
import { RunsController } from './runs.controller.js';

@Module({
  imports: [RunsDomainModule, AuditModule],
  controllers: [RunsController],
  providers: [RunCallers],
  exports: [RunCallers],
})
export class RunsModule {}
