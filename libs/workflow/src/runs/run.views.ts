import type { NodeRunEntity } from '../persistence/node-run.entity.js';
import type { RunEntity } from '../persistence/run.entity.js';

/** A run as the API shows it (SPEC §7). Never carries the subject token. */
export interface RunView {
  id: string;
  status: string;
  workflow: { name: string; version: number };
  agentId: string | null;
  userId: string;
  input: Record<string, unknown>;
  error: { code: string; message: string; nodeId?: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface NodeRunView {
  id: string;
  type: string;
  status: string;
  attempts: number;
  grantedScopes: string[] | null;
  startedAt: string | null;
  finishedAt: string | null;
  output: unknown;
  error: { code: string; message: string } | null;
}

export type RunDetailView = RunView & { nodes: NodeRunView[] };

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export function toRunView(run: RunEntity): RunView {
  return {
    id: run.id,
    status: run.status,
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
    status: node.status,
    attempts: node.attempts,
    grantedScopes: node.grantedScopes,
    startedAt: iso(node.startedAt),
    finishedAt: iso(node.finishedAt),
    output: node.output ?? null,
    error: node.error,
  };
}
