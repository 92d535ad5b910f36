import { requestJson } from './http-json.js';

/** The parts of Baton's REST API (SPEC §7) the demo uses, as the API shows them. */
export interface WorkflowView {
  name: string;
  version: number;
}

export interface NodeView {
  id: string;
  type: string;
  status: string;
  attempts: number;
  grantedScopes: string[] | null;
  output: unknown;
  error: { code?: string; message?: string } | null;
}

export interface RunView {
  id: string;
  status: string;
  workflow: { name: string; version: number };
  createdAt: string;
  nodes: NodeView[];
}

export interface EscalationView {
  id: string;
  runId: string;
  nodeId: string;
  reason: string;
  status: string;
  detail: string | null;
  prompt: string | null;
  resolvedBy: string | null;
  action: string | null;
}

export interface AuditEntryView {
  id: string;
  at: string;
  operation: string;
  nodeId: string | null;
  userId: string | null;
  scopes: string[] | null;
  target: string | null;
  success: boolean;
  error: string | null;
  details: Record<string, unknown> | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type ResolveBody =
  | { action: 'approve' | 'reject' | 'retry' | 'abort'; note?: string }
  | { action: 'resume'; subjectToken: string; note?: string };

/** A thin client over HTTP: each method is one call, with the caller's token. */
export class BatonApi {
  constructor(readonly baseUrl: string) {}

  registerWorkflow(token: string, definition: unknown): Promise<WorkflowView> {
    return requestJson(this.baseUrl, '/v1/workflows', { token, body: definition, expect: [201] });
  }

  startRun(token: string, workflow: string, input: Record<string, unknown>): Promise<{ id: string; status: string }> {
    return requestJson(this.baseUrl, `/v1/workflows/${encodeURIComponent(workflow)}/runs`, {
      token,
      body: { input },
      expect: [202],
    });
  }

  run(token: string, id: string): Promise<RunView> {
    return requestJson(this.baseUrl, `/v1/runs/${encodeURIComponent(id)}`, { token });
  }

  escalations(
    token: string,
    filter: { runId: string; status?: 'open' | 'resolved' | 'expired' },
  ): Promise<Page<EscalationView>> {
    const query = new URLSearchParams({ runId: filter.runId, status: filter.status ?? 'open' });
    return requestJson(this.baseUrl, `/v1/escalations?${query}`, { token });
  }

  resolveEscalation(token: string, id: string, body: ResolveBody): Promise<EscalationView> {
    return requestJson(this.baseUrl, `/v1/escalations/${encodeURIComponent(id)}/resolve`, { token, body });
  }

  auditPage(token: string, runId: string, limit: number, cursor: string | null): Promise<Page<AuditEntryView>> {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor !== null && { cursor }) });
    return requestJson(this.baseUrl, `/v1/runs/${encodeURIComponent(runId)}/audit?${query}`, { token });
  }
}
