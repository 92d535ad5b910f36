import { z } from 'zod';
import type { AuditEntryEntity } from '../persistence/audit-entry.entity.js';
import { AUDIT_OPERATIONS, type AuditOperation } from '../domain/constants.js';
import { instant } from '../views/view-fields.js';

/** An audit entry as the API shows it (SPEC §6). The hash fields stay internal to verification. One definition of its shape. */
export const auditEntryViewSchema = z.object({
  id: z.string().describe('a decimal integer, increasing in insert order'),
  at: instant,
  tenant: z.string().describe('SPEC §12.1: the tenant whose trail holds it'),
  operation: z.enum(AUDIT_OPERATIONS as [AuditOperation, ...AuditOperation[]]),
  runId: z.uuid().nullable(),
  nodeId: z.string().nullable(),
  workflow: z.string().nullable(),
  agentId: z.string().nullable(),
  userId: z.string().nullable().describe("the user's sub"),
  issuer: z.string().nullable().describe("the user's iss"),
  scopes: z.array(z.string()).nullable().describe('scope.narrowed and token.exchanged: the granted set'),
  target: z.string().nullable(),
  success: z.boolean(),
  error: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditEntryView = z.infer<typeof auditEntryViewSchema>;

/** The stored fields an entry shows: an entity, or a row selected with AUDIT_ENTRY_COLUMNS. */
export type AuditEntryRow = Omit<AuditEntryEntity, 'runSeq' | 'prevHash' | 'hash'>;

export function toAuditEntryView(e: AuditEntryRow): AuditEntryView {
  return {
    id: String(e.id),
    at: new Date(e.at).toISOString(),
    tenant: e.tenant,
    operation: e.operation as AuditOperation,
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
