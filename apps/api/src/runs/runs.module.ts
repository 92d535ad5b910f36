import { Module } from '@nestjs/common';
import { AuditModule, RunsModule as RunsDomainModule } from '@baton/workflow';
import { RunsController } from './runs.controller.js';

@Module({
  imports: [RunsDomainModule, AuditModule],
  controllers: [RunsController],
})
export class RunsModule {}
