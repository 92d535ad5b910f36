import { Module } from '@nestjs/common';
import { EscalationsModule as EscalationsDomainModule } from '@baton/workflow';
import { EscalationsController } from './escalations.controller.js';

@Module({ imports: [EscalationsDomainModule], controllers: [EscalationsController] })
export class EscalationsModule {}
