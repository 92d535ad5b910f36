import type { AuditRecord } from '../audit/audit-writer.js';
import type { EscalationReason } from '../domain/index.js';

/**
 * What executing one attempt of a node came to. The executor decides; NodeRunStore records it
 * (with its audit rows) in one transaction.
 */
export type NodeOutcome =
  | { kind: 'succeeded'; output: unknown; grantedScopes: string[] | null; audits: AuditRecord[] }
  | { kind: 'failed'; error: NodeError; grantedScopes: string[] | null; audits: AuditRecord[] }
  | { kind: 'retry'; delayMs: number; error: NodeError; grantedScopes: string[] | null; audits: AuditRecord[] }
  | {
      kind: 'escalate';
      reason: EscalationReason;
      detail: string;
      prompt?: string;
      grantedScopes: string[] | null;
      audits: AuditRecord[];
    }
  /** A `workflow` node started (or found) its child run: the node stays running, the child's end settles it (SPEC §11). */
  | { kind: 'delegated'; childRunId: string; grantedScopes: null; audits: AuditRecord[] };

export interface NodeError {
  code: string;
  message: string;
  /** `delegation_exceeded`: the child's required scopes outside the ceiling. */
  scopes?: string[];
  /** `child_run_failed`: the child run. */
  childRunId?: string;
}
