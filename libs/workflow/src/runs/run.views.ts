import { z } from 'zod';
import type { NodeRunEntity } from '../persistence/node-run.entity.js';
import type { RunEntity } from '../persistence/run.entity.js';
import { NODE_STATUSES, type NodeStatus } from '../domain/state/node-status.js';
import { RUN_STATUSES, type RunStatus } from '../domain/state/run-status.js';
import { instant, iso, nullableInstant, viewError } from '../views/view-fields.js';

/** A run as the API shows it (SPEC §7). Never carries the subject token. The one definition of its shape. */
export const runViewSchema = z.object({
  id: z.uuid(),
  status: z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]),
  workflow: z.object({ name: z.string(), version: z.int().min(1) }),
  agentId: z.string().nullable(),
  userId: z.string().describe("the user's sub"),
  input: z.record(z.string(), z.unknown()),
  error: viewError.extend({ nodeId: z.string().optional() }).nullable(),
  createdAt: instant,
  startedAt: nullableInstant,
  finishedAt: nullableInstant,
});
export type RunView = z.infer<typeof runViewSchema>;

/** A run in a list: the run view without `input`, which may be large or sensitive (issue 10 item 11). */
export const runSummaryViewSchema = runViewSchema.omit({ input: true });
export type RunSummaryView = z.infer<typeof runSummaryViewSchema>;

/** What `POST /v1/workflows/{name}/runs` answers. */
export const startedRunViewSchema = runViewSchema.pick({ id: true, status: true, workflow: true, createdAt: true });
export type StartedRunView = z.infer<typeof startedRunViewSchema>;

export const nodeRunViewSchema = z.object({
  id: z.string(),
  type: z.string().describe('http, approval or handler'),
  status: z.enum(NODE_STATUSES as [NodeStatus, ...NodeStatus[]]),
  attempts: z.int().min(0),
  grantedScopes: z.array(z.string()).nullable(),
  startedAt: nullableInstant,
  finishedAt: nullableInstant,
  output: z
    .unknown()
    .describe('http nodes: {status, headers, body}; approval nodes: {approved, by, note}; null until it succeeds'),
  error: viewError.nullable(),
});
export type NodeRunView = z.infer<typeof nodeRunViewSchema>;

export const runDetailViewSchema = runViewSchema.extend({ nodes: z.array(nodeRunViewSchema) });
export type RunDetailView = z.infer<typeof runDetailViewSchema>;

export function toRunView(run: RunEntity): RunView {
  return {
    id: run.id,
    status: run.status as RunStatus,
    workflow: { name: run.workflowName, version: run.workflowVersion },
    agentId: run.agentId,
    userId: run.userSub,
    input: run.input,
    error: run.error,
    createdAt: iso(run.createdAt)!,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
  };
}

export function toNodeRunView(node: NodeRunEntity): NodeRunView {
  return {
    id: node.nodeId,
    type: node.type,
    status: node.status as NodeStatus,
    attempts: node.attempts,
    grantedScopes: node.grantedScopes,
    startedAt: iso(node.startedAt),
    finishedAt: iso(node.finishedAt),
    output: node.output ?? null,
    error: node.error,
  };
}
