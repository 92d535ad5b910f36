import type { AuditEntryEntity } from '../persistence/audit-entry.entity.js';

/** An audit entry as the API shows it (SPEC §6). The hash fields stay internal to verification. */
export interface AuditEntryView {
  id: string;
  at: string;
  operation: string;
  runId: string | null;
  nodeId: string | null;
  workflow: string | null;
  agentId: string | null;
  userId: string | null;
  issuer: string | null;
  scopes: string[] | null;
  target: string | null;
  success: boolean;
  error: string | null;
  details: Record<string, unknown> | null;
}

/** The stored fields an entry shows: an entity, or a row selected with AUDIT_ENTRY_COLUMNS. */
export type AuditEntryRow = Omit<AuditEntryEntity, 'runSeq' | 'prevHash' | 'hash'>;

export function toAuditEntryView(e: AuditEntryRow): AuditEntryView {
  return {
    id: String(e.id),
    at: new Date(e.at).toISOString(),
    operation: e.operation,
    runId: e.runId,
    nodeId: e.nodeId,
    workflow: e.workflow,
    agentId: e.agentId,
    userId: e.userId,
    issuer: e.issuer,
    scopes: e.scopes,
    target: e.target,
    success: e.success,
    error: e.error,
    details: e.details,
  };
}
