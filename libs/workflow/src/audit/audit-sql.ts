import type { AuditKey } from './audit-cursor.js';
import type { AuditFilter } from './audit-filter.js';
import { AuditOrder } from './audit-order.js';
import { AuditStatsBucket } from './audit-stats-buckets.js';
import { AuditStatsGroupBy, type AuditStatsQuery } from './audit-stats-query.js';

/** A parameterised statement: values travel separately, never inside the text. */
export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** The columns an entry shows (SPEC §6), named as AuditEntryRow's fields; the chain stays inside. */
export const AUDIT_ENTRY_COLUMNS =
  'id, at, tenant, operation, run_id AS "runId", node_id AS "nodeId", workflow, agent_id AS "agentId", user_id AS "userId", ' +
  'issuer, scopes, target, success, error, details';

const GROUP_COLUMN: Record<AuditStatsGroupBy, string> = {
  [AuditStatsGroupBy.Operation]: 'operation',
  [AuditStatsGroupBy.Workflow]: 'workflow',
  [AuditStatsGroupBy.AgentId]: 'agent_id',
  [AuditStatsGroupBy.UserId]: 'user_id',
  [AuditStatsGroupBy.Issuer]: 'issuer',
};

/**
 * Entries matching `filter`, in (at, id) order, strictly after `after`, at most `limit`.
 *
 * The statement is shaped for the indexes (see the audit-indexes migration): equality filters first,
 * then the time range and the keyset as a row comparison on (at, id), so a btree on
 * (<column>, at, id) serves filter, range, keyset and order at once and stops after `limit` rows.
 * A single operation is an equality, not `= ANY(...)`, so that it can use such an index in order;
 * `success` is written as a literal so that the partial index on failures matches its predicate.
 */
export function auditEntriesStatement(
  filter: AuditFilter,
  order: AuditOrder,
  page: { after?: AuditKey; limit: number },
): SqlStatement {
  const { conditions, values } = auditConditions(filter);
  const desc = order === AuditOrder.Desc;
  if (page.after) {
    values.push(page.after.at.toISOString(), page.after.id);
    conditions.push(`(at, id) ${desc ? '<' : '>'} ($${values.length - 1}::timestamptz, $${values.length}::bigint)`);
  }
  values.push(page.limit);
  const direction = desc ? 'DESC' : 'ASC';
  return {
    text:
      `SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entries` +
      where(conditions) +
      ` ORDER BY at ${direction}, id ${direction} LIMIT $${values.length}`,
    values,
  };
}

/** Bucket widths for date_bin; a day is 24 hours in UTC. */
const BUCKET_INTERVAL: Record<AuditStatsBucket, string> = {
  [AuditStatsBucket.Minute]: '1 minute',
  [AuditStatsBucket.Hour]: '1 hour',
  [AuditStatsBucket.Day]: '1 day',
};

/**
 * Success and failure counts per UTC bucket and group. Buckets come from `date_bin` on a UTC
 * midnight origin: arithmetic on the absolute time, so the answer never depends on the session's
 * TimeZone, and the same boundaries as `date_trunc(bucket, at, 'UTC')` at about half the cost
 * (no calendar conversion per row). With groupBy=operation the covering index on (at, id) INCLUDE
 * (operation, success) answers it without touching the table.
 */
export function auditStatsStatement(query: AuditStatsQuery): SqlStatement {
  const group = GROUP_COLUMN[query.groupBy];
  const values: unknown[] = [
    BUCKET_INTERVAL[query.bucket],
    query.from.toISOString(),
    query.to.toISOString(),
    query.tenant,
  ];
  let identity = '';
  if (query.userId !== undefined) {
    values.push(query.userId);
    identity += ` AND user_id = $${values.length}`;
  }
  if (query.issuer !== undefined) {
    values.push(query.issuer);
    identity += ` AND issuer = $${values.length}`;
  }
  return {
    text:
      `SELECT date_bin($1::interval, at, TIMESTAMPTZ '2001-01-01 00:00:00+00') AS start, ${group} AS "group", ` +
      `count(*) FILTER (WHERE success) AS success, count(*) FILTER (WHERE NOT success) AS failure ` +
      `FROM audit_entries WHERE tenant = $4 AND at >= $2::timestamptz AND at < $3::timestamptz${identity} ` +
      `GROUP BY 1, 2 ORDER BY 1, 2`,
    values,
  };
}

/** The ids of a run and all its descendants (SPEC §11): the runs below it share its root, and lie below it by parent links. */
export const TREE_OF = (run: string): string =>
  `WITH RECURSIVE tree(id) AS (SELECT ${run} UNION ALL SELECT c.id FROM runs c JOIN tree t ON c.parent_run_id = t.id) SELECT id FROM tree`;

export function auditConditions(filter: AuditFilter): { conditions: string[]; values: unknown[] } {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const equal = (column: string, value: unknown, cast = '') => {
    values.push(value);
    conditions.push(`${column} = $${values.length}${cast}`);
  };
  // First: the (tenant, at, id) index leads with it (SPEC §12.1: nothing crosses tenants).
  equal('tenant', filter.tenant);
  if (filter.runId !== undefined) equal('run_id', filter.runId, '::uuid');
  if (filter.rootRunId !== undefined) {
    values.push(filter.rootRunId);
    conditions.push(`run_id IN (${TREE_OF(`$${values.length}::uuid`)})`);
  }
  if (filter.userId !== undefined) equal('user_id', filter.userId);
  if (filter.issuer !== undefined) equal('issuer', filter.issuer);
  if (filter.agentId !== undefined) equal('agent_id', filter.agentId);
  if (filter.workflow !== undefined) equal('workflow', filter.workflow);
  if (filter.operations?.length === 1) equal('operation', filter.operations[0]);
  else if (filter.operations && filter.operations.length > 1) {
    values.push(filter.operations);
    conditions.push(`operation = ANY($${values.length}::text[])`);
  }
  if (filter.success !== undefined) conditions.push(filter.success ? 'success' : 'NOT success');
  if (filter.from !== undefined) {
    values.push(filter.from.toISOString());
    conditions.push(`at >= $${values.length}::timestamptz`);
  }
  if (filter.to !== undefined) {
    values.push(filter.to.toISOString());
    conditions.push(`at < $${values.length}::timestamptz`);
  }
  return { conditions, values };
}

function where(conditions: string[]): string {
  return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
}
