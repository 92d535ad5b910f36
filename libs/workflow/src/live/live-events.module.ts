import { Module } from '@nestjs/common';
import { AuditFeed } from './audit-feed.js';

/** Live events (SPEC §13): the audit feed one api process shares among all its streams. */
@Module({ providers: [AuditFeed], exports: [AuditFeed] })
export class LiveEventsModule {}
