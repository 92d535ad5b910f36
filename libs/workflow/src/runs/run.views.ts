import { z } from 'zod';
import type { NodeRunEntity } from '../persistence/node-run.entity.js';
import type { RunEntity } from '../persistence/run.entity.js';
import { NODE_STATUSES, type NodeStatus } from '../domain/state/node-status.js';
import { RUN_STATUSES, type RunStatus } from '../domain/state/run-status.js';
import { instant, iso, nullableInstant, viewError } from '../views/view-fields.js';

/** A run as the API shows it (SPEC §7). Never carries the subject token. The one definition of its shape. */
export const runViewSchema = z.object({
  id: z.uuid(),
  tenant: z.string().describe('SPEC §12.1: the tenant whose run this is (the tenant of the issuer of its starter)'),
  status: z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]),
  workflow: z.object({ name: z.string(), version: z.int().min(1) }),
  agentId: z.string().nullable(),
  userId: z.string().describe("the user's sub"),
  input: z.record(z.string(), z.unknown()),
  error: viewError.extend({ nodeId: z.string().optional() }).nullable(),
  createdAt: instant,
  startedAt: nullableInstant,
  finishedAt: nullableInstant,
  parentRunId: z.uuid().nullable().describe('SPEC §11: the run whose workflow node started this one; null at the root'),
  rootRunId: z.uuid().describe("the root of this run's tree (its own id at the root)"),
  depth: z.int().min(0).describe('0 at the root'),
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
  type: z.string().describe('http, approval, handler or workflow'),
  status: z.enum(NODE_STATUSES as [NodeStatus, ...NodeStatus[]]),
  attempts: z.int().min(0),
  grantedScopes: z.array(z.string()).nullable(),
  startedAt: nullableInstant,
  finishedAt: nullableInstant,
  output: z
    .unknown()
    .describe(
      'http nodes: {status, headers, body}; approval nodes: {approved, by, note}; workflow nodes: {runId, status, outputs}; null until it succeeds',
    ),
  error: viewError.nullable(),
});
export type NodeRunView = z.infer<typeof nodeRunViewSchema>;

/** A child run as its parent's view lists it (SPEC §11). */
export const childRunViewSchema = z.object({
  id: z.uuid(),
  nodeId: z.string().describe('the workflow node that started it'),
  workflow: z.object({ name: z.string(), version: z.int().min(1) }),
  status: z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]),
});
export type ChildRunView = z.infer<typeof childRunViewSchema>;

export const runDetailViewSchema = runViewSchema.extend({
  nodes: z.array(nodeRunViewSchema),
  children: z.array(childRunViewSchema).describe('the runs its workflow nodes started, oldest first'),
});
export type RunDetailView = z.infer<typeof runDetailViewSchema>;

export function toRunView(run: RunEntity): RunView {
  return {
    id: run.id,
    tenant: run.tenant,
    status: run.status as RunStatus,
    workflow: { name: run.workflowName, version: run.workflowVersion },
    agentId: run.agentId,
    userId: run.userSub,
    input: run.input,
    error: run.error,
    createdAt: iso(run.createdAt)!,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    parentRunId: run.parentRunId,
    rootRunId: run.rootRunId,
    depth: run.depth,
  };
}

export function toChildRunView(run: RunEntity): ChildRunView {
  return {
    id: run.id,
    nodeId: run.parentNodeId!,
    workflow: { name: run.workflowName, version: run.workflowVersion },
    status: run.status as RunStatus,
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
