import {
  createBatonClient,
  type BatonClient,
  type BatonSchemas,
  type components,
} from '../../libs/client/src/index.js';
import { UnexpectedResponse } from './http-json.js';

/** The API's own shapes (SPEC §7), from the generated client: no hand-written copies. */
export type RunView = BatonSchemas['RunDetail'];
export type NodeView = RunView['nodes'][number];
export type EscalationView = BatonSchemas['Escalation'];
export type AuditEntryView = BatonSchemas['AuditEntry'];
export type ResolveBody = components['schemas']['ResolveEscalationRequest'];

const REQUEST_TIMEOUT_MS = 10_000;

/** The calls the demo makes, each with the caller's token, on the generated typed client. */
export class BatonApi {
  constructor(readonly baseUrl: string) {}

  async registerWorkflow(token: string, definition: unknown): Promise<{ name: string; version: number }> {
    return answer(
      'POST /v1/workflows',
      this.client(token).POST('/v1/workflows', { body: definition as BatonSchemas['WorkflowDefinition'] }),
    );
  }

  startRun(token: string, workflow: string, input: Record<string, unknown>): Promise<{ id: string; status: string }> {
    return answer(
      'POST /v1/workflows/{name}/runs',
      this.client(token).POST('/v1/workflows/{name}/runs', { params: { path: { name: workflow } }, body: { input } }),
    );
  }

  run(token: string, id: string): Promise<RunView> {
    return answer('GET /v1/runs/{id}', this.client(token).GET('/v1/runs/{id}', { params: { path: { id } } }));
  }

  escalations(token: string, filter: { runId: string; status?: 'open' | 'resolved' | 'expired' }) {
    return answer(
      'GET /v1/escalations',
      this.client(token).GET('/v1/escalations', { params: { query: { runId: filter.runId, status: filter.status } } }),
    );
  }

  resolveEscalation(token: string, id: string, body: ResolveBody): Promise<EscalationView> {
    return answer(
      'POST /v1/escalations/{id}/resolve',
      this.client(token).POST('/v1/escalations/{id}/resolve', { params: { path: { id } }, body }),
    );
  }

  auditPage(token: string, runId: string, limit: number, cursor: string | null) {
    return answer(
      'GET /v1/runs/{id}/audit',
      this.client(token).GET('/v1/runs/{id}/audit', {
        params: { path: { id: runId }, query: { limit, ...(cursor !== null && { cursor }) } },
      }),
    );
  }

  private client(token: string): BatonClient {
    return createBatonClient({
      baseUrl: this.baseUrl,
      token,
      fetch: (request) => fetch(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
    });
  }
}

/** The answer's data, or UnexpectedResponse naming the call and the problem; a network failure names the API. */
async function answer<T>(
  call: string,
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (err) {
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new Error(`${call} failed: ${cause}`, { cause: err });
  }
  if (!result.response.ok || result.data === undefined)
    throw new UnexpectedResponse(call, result.response.status, result.error);
  return result.data;
}
