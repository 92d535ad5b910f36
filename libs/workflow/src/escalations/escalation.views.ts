import type { EscalationEntity } from '../persistence/escalation.entity.js';

/** An escalation as the API shows it (SPEC §5 fields, plus the run's workflow). */
export interface EscalationView {
  id: string;
  runId: string;
  nodeId: string;
  workflow: string;
  reason: string;
  status: string;
  detail: string | null;
  prompt: string | null;
  createdAt: string;
  expiresAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** SPEC §16: the issuer of `resolvedBy`; null when Baton closed the escalation. */
  resolvedByIssuer: string | null;
  action: string | null;
  note: string | null;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

export function toEscalationView(e: EscalationEntity, workflow: string): EscalationView {
  return {
    id: e.id,
    runId: e.runId,
    nodeId: e.nodeId,
    workflow,
    reason: e.reason,
    status: e.status,
    detail: e.detail,
    prompt: e.prompt,
    createdAt: iso(e.createdAt)!,
    expiresAt: iso(e.expiresAt)!,
    resolvedAt: iso(e.resolvedAt),
    resolvedBy: e.resolvedBy,
    resolvedByIssuer: e.resolvedByIssuer ?? null,
    action: e.action,
    note: e.note,
  };
}
