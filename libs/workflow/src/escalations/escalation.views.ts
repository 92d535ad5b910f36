import { z } from 'zod';
import type { EscalationEntity } from '../persistence/escalation.entity.js';
import {
  ESCALATION_ACTIONS,
  ESCALATION_REASONS,
  ESCALATION_STATUSES,
  type EscalationAction,
  type EscalationReason,
  type EscalationStatus,
} from '../domain/constants.js';
import { instant, iso, nullableInstant } from '../views/view-fields.js';

/** An escalation as the API shows it (SPEC §5 fields, plus the run's workflow). The one definition of its shape. */
export const escalationViewSchema = z.object({
  id: z.uuid(),
  runId: z.uuid(),
  nodeId: z.string(),
  workflow: z.string(),
  reason: z.enum(ESCALATION_REASONS as [EscalationReason, ...EscalationReason[]]),
  status: z.enum(ESCALATION_STATUSES as [EscalationStatus, ...EscalationStatus[]]),
  detail: z.string().nullable(),
  prompt: z.string().nullable().describe('approval nodes: the rendered prompt'),
  createdAt: instant,
  expiresAt: instant,
  resolvedAt: nullableInstant,
  resolvedBy: z.string().nullable().describe("the resolver's sub"),
  resolvedByIssuer: z
    .string()
    .nullable()
    .describe('SPEC §16: the issuer of resolvedBy; null when Baton closed the escalation'),
  action: z.enum(ESCALATION_ACTIONS as [EscalationAction, ...EscalationAction[]]).nullable(),
  note: z.string().nullable(),
});
export type EscalationView = z.infer<typeof escalationViewSchema>;

export function toEscalationView(e: EscalationEntity, workflow: string): EscalationView {
  return {
    id: e.id,
    runId: e.runId,
    nodeId: e.nodeId,
    workflow,
    reason: e.reason as EscalationReason,
    status: e.status as EscalationStatus,
    detail: e.detail,
    prompt: e.prompt,
    createdAt: iso(e.createdAt)!,
    expiresAt: iso(e.expiresAt)!,
    resolvedAt: iso(e.resolvedAt),
    resolvedBy: e.resolvedBy,
    resolvedByIssuer: e.resolvedByIssuer ?? null,
    action: e.action as EscalationAction | null,
    note: e.note,
  };
}
