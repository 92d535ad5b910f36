import { parseQuery } from '@baton/platform';
import { z } from 'zod';
import { auditInstantParam } from './audit-filter.js';
import { AUDIT_STATS_BUCKETS, AuditStatsBucket, MAX_STATS_BUCKETS, bucketCount } from './audit-stats-buckets.js';

/** What audit stats count entries by, besides time. Each names an audit_entries column. */
export const AuditStatsGroupBy = {
  Operation: 'operation',
  Workflow: 'workflow',
  AgentId: 'agentId',
  UserId: 'userId',
  Issuer: 'issuer',
} as const;
export type AuditStatsGroupBy = (typeof AuditStatsGroupBy)[keyof typeof AuditStatsGroupBy];
export const AUDIT_STATS_GROUP_BYS: readonly AuditStatsGroupBy[] = Object.values(AuditStatsGroupBy);

/**
 * `GET /v1/audit/stats`: entries with `from ≤ at < to`, counted per UTC bucket and group, optionally
 * narrowed to one user — an identity is the (issuer, userId) pair (SPEC §16), so both filter.
 */
export interface AuditStatsQuery {
  /** SPEC §12.1: stats count the caller's tenant only. */
  tenant: string;
  from: Date;
  to: Date;
  bucket: AuditStatsBucket;
  groupBy: AuditStatsGroupBy;
  userId?: string;
  issuer?: string;
}

const statsParams = z
  .strictObject({
    from: auditInstantParam,
    to: auditInstantParam,
    bucket: z.enum(AUDIT_STATS_BUCKETS as [AuditStatsBucket, ...AuditStatsBucket[]]).default(AuditStatsBucket.Hour),
    groupBy: z
      .enum(AUDIT_STATS_GROUP_BYS as [AuditStatsGroupBy, ...AuditStatsGroupBy[]])
      .default(AuditStatsGroupBy.Operation),
    userId: z.string().min(1).max(1024).optional(),
    issuer: z.string().min(1).max(2048).optional(),
  })
  .superRefine((params, ctx) => {
    if (params.from.getTime() > params.to.getTime()) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
      return;
    }
    const buckets = bucketCount(params.from, params.to, params.bucket);
    if (buckets > MAX_STATS_BUCKETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['bucket'],
        message: `from–to spans ${buckets} ${params.bucket} buckets; at most ${MAX_STATS_BUCKETS} are allowed`,
      });
    }
  });

/** Parses `GET /v1/audit/stats` query parameters; anything wrong is a 400 naming each parameter. */
export function parseAuditStatsQuery(query: unknown, tenant: string): AuditStatsQuery {
  return { ...parseQuery(statsParams, query), tenant };
}
