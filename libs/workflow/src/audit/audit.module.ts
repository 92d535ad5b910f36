import { Module } from '@nestjs/common';
import { AuditReader } from './audit-reader.js';
import { AuditWriter } from './audit-writer.js';

/** Writing (inside transitions) and reading the audit trail. */
@Module({ providers: [AuditWriter, AuditReader], exports: [AuditWriter, AuditReader] })
export class AuditModule {}
