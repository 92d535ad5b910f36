import { Module } from '@nestjs/common';
import { AuditModule, AuditQueryModule, RunsModule as RunsDomainModule } from '@baton/workflow';
import { AuditController } from './audit.controller.js';

@Module({ imports: [AuditModule, AuditQueryModule, RunsDomainModule], controllers: [AuditController] })
export class AuditApiModule {}
