import type { AuditOperation } from '../domain/index.js';
import type { AuditRecord } from '../audit/audit-writer.js';

/** The run facts every audit entry of a run repeats (SPEC §6). */
export interface RunAuditContext {
  runId: string;
  workflow: string;
  agentId: string | null;
  userId: string;
  issuer: string;
}

/** Builds an audit record about a run (and optionally one of its nodes). */
export function runAudit(
  run: RunAuditContext,
  operation: AuditOperation,
  fields: Omit<AuditRecord, 'operation' | 'runId' | 'workflow' | 'agentId' | 'userId' | 'issuer' | 'success'> & {
    success?: boolean;
  } = {},
): AuditRecord {
  return {
    operation,
    runId: run.runId,
    workflow: run.workflow,
    agentId: run.agentId,
    userId: run.userId,
    issuer: run.issuer,
    success: fields.success ?? true,
    ...fields,
  };
}
