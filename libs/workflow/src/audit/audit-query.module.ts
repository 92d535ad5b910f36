import { Module } from '@nestjs/common';
import { AuditChainVerifier } from './audit-chain-verifier.js';
import { AuditQuery } from './audit-query.js';

/** Reading the audit trail for dashboards: lists, stats, exports and chain verification. */
@Module({ providers: [AuditQuery, AuditChainVerifier], exports: [AuditQuery, AuditChainVerifier] })
export class AuditQueryModule {}
