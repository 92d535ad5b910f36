import type { AuditFilter } from '../audit/audit-filter.js';
import type { AuditEntryView } from '../audit/audit-entry.view.js';

/**
 * Whether an entry matches a filter: the JavaScript twin of auditConditions (audit-sql.ts), for
 * entries the live stream fans out to many subscribers without asking Postgres once per subscriber.
 */
export function matchesAuditFilter(entry: AuditEntryView, filter: AuditFilter): boolean {
  if (entry.tenant !== filter.tenant) return false;
  if (filter.runId !== undefined && entry.runId !== filter.runId) return false;
  if (filter.userId !== undefined && entry.userId !== filter.userId) return false;
  if (filter.issuer !== undefined && entry.issuer !== filter.issuer) return false;
  if (filter.agentId !== undefined && entry.agentId !== filter.agentId) return false;
  if (filter.workflow !== undefined && entry.workflow !== filter.workflow) return false;
  if (filter.operations !== undefined && !filter.operations.includes(entry.operation)) return false;
  if (filter.success !== undefined && entry.success !== filter.success) return false;
  const at = Date.parse(entry.at);
  if (filter.from !== undefined && at < filter.from.getTime()) return false;
  if (filter.to !== undefined && at >= filter.to.getTime()) return false;
  return true;
}
