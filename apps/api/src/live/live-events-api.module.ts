import { Module } from '@nestjs/common';
import { EscalationsModule, LiveEventsModule, RunsModule as RunsDomainModule } from '@baton/workflow';
import { RunsModule } from '../runs/runs.module.js';
import { LiveEventsController } from './live-events.controller.js';

@Module({
  imports: [LiveEventsModule, RunsDomainModule, EscalationsModule, RunsModule],
  controllers: [LiveEventsController],
})
export class LiveEventsApiModule {}
