import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ApiScopeKey,
  DomainError,
  DomainErrorCode,
  Tracing,
  isCaller,
  type Caller,
  type Page,
  type TraceSpan,
} from '@baton/platform';
import { SubjectTokenCipher } from '@baton/oauth';
import { z } from 'zod';
import {
  RunStatus,
  WORKFLOW_NAME_PATTERN,
  formatTraceparent,
  isTerminalRunStatus,
  parseTraceparent,
  rootsToEnqueue,
  validateRunInput,
} from '../domain/index.js';
import { TenantLimits } from '../persistence/tenant-limits.js';
import { DefinitionCache } from '../definitions/definition-cache.js';
import { NodeQueue } from '../engine/node-queue.js';
import { EscalationEvents } from '../escalations/escalation-events.js';
import type { RunEntity } from '../persistence/run.entity.js';
import { RunRepository } from './run.repository.js';
import { RunStore } from './run.store.js';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import type { TraceParent } from '../domain/trace/trace-context.js';
import {
  toChildRunView,
  toNodeRunView,
  toRunView,
  type RunDetailView,
  type RunSummaryView,
  type RunView,
} from './run.views.js';

export const startRunBodySchema = z.strictObject({
  input: z.record(z.string(), z.unknown()).default({}),
  version: z.number().int().min(1).optional(),
});

export interface StartedRun {
  run: RunView;
  /** False when an Idempotency-Key matched an earlier run, which is returned instead. */
  created: boolean;
}

/** Starting, reading and cancelling runs (SPEC §4, §7). */
@Injectable()
export class RunService {
  constructor(
    private readonly definitions: DefinitionCache,
    private readonly runs: RunRepository,
    private readonly store: RunStore,
    private readonly queue: NodeQueue,
    private readonly cipher: SubjectTokenCipher,
    private readonly escalationEvents: EscalationEvents,
    private readonly metrics: EngineMetrics,
    private readonly tracing: Tracing,
    private readonly tenantLimits: TenantLimits,
  ) {}

  /**
   * Starts a run of `workflowName` for the caller, whose bearer token becomes the run's subject
   * token (stored sealed). Commits the run with its first nodes queued, then enqueues them.
   */
  async start(
    workflowName: string,
    body: unknown,
    caller: Caller,
    subjectToken: string,
    idempotencyKey?: string,
    traceparentHeader?: string | string[],
  ): Promise<StartedRun> {
    // A malformed traceparent is dropped (W3C Trace Context §4.3), never a reason to refuse the run.
    const trace = parseTraceparent(traceparentHeader);
    // With tracing on, the run's stored traceparent is this span: node spans become its children.
    const span = this.tracing.start('baton.run.start', trace, { 'baton.workflow': workflowName }, 'server');
    try {
      const started = await this.begin(workflowName, body, caller, subjectToken, idempotencyKey, trace, span);
      span.set({ 'baton.run.id': started.run.id, 'baton.run.created': started.created });
      span.end({ ok: true });
      return started;
    } catch (error) {
      span.end({ ok: false, message: error instanceof DomainError ? error.code : 'unexpected error' });
      throw error;
    }
  }

  private async begin(
    workflowName: string,
    body: unknown,
    caller: Caller,
    subjectToken: string,
    idempotencyKey: string | undefined,
    trace: TraceParent | null,
    span: TraceSpan,
  ): Promise<StartedRun> {
    const parsed = startRunBodySchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new DomainError(
        DomainErrorCode.InvalidInput,
        'The run request is malformed',
        parsed.error.issues.map((i) => ({ path: ['$', ...i.path].join('.'), message: i.message })),
      );
    }
    const { input, version } = parsed.data;
    const inputBytes = Buffer.byteLength(JSON.stringify(input));
    if (inputBytes > MAX_RUN_INPUT_BYTES) {
      throw new DomainError(
        DomainErrorCode.TooLarge,
        `The run input is ${inputBytes} bytes; at most ${MAX_RUN_INPUT_BYTES} are accepted`,
      );
    }
    if (!WORKFLOW_NAME_PATTERN.test(workflowName)) throw this.noSuchWorkflow(workflowName, version);
    const id = randomUUID();
    const sealed = this.cipher.seal(subjectToken, { runId: id, issuer: caller.issuer, subject: caller.subject });
    // Twice at most: the second time after learning that another version became the latest.
    for (let refresh = false; ; refresh = true) {
      const stored = version
        ? await this.definitions.get(caller.tenant, workflowName, version)
        : await this.definitions.latest(caller.tenant, workflowName, refresh);
      if (!stored) {
        // A key already used for another request is that mistake first (IETF idempotency draft: 422).
        const earlier =
          idempotencyKey === undefined
            ? null
            : await this.runs.findByIdempotencyKey(caller.tenant, caller.issuer, caller.subject, idempotencyKey);
        if (earlier) assertSameRequest(earlier, workflowName, version, input);
        throw this.noSuchWorkflow(workflowName, version);
      }
      if (stored.definition.inputSchema) {
        const problems = validateRunInput(stored.definition.inputSchema, input, `${stored.name}@${stored.version}`);
        if (problems.length > 0)
          throw new DomainError(
            DomainErrorCode.Unprocessable,
            'The input does not match the workflow inputSchema',
            problems,
          );
      }
      const nodes = stored.graph.map((n) => ({
        id: n.id,
        type: n.type,
        queued: n.dependsOn.length === 0,
        refs: stored.plan.refs.get(n.id) ?? [],
      }));
      const started = await this.store.start({
        id,
        tenant: caller.tenant,
        workflowName: stored.name,
        workflowVersion: stored.version,
        expectLatest: version === undefined,
        agentId: stored.agentId,
        input,
        userIss: caller.issuer,
        userSub: caller.subject,
        userScopes: [...caller.scopes],
        subjectToken: { ...sealed, expiresAt: caller.expiresAt },
        idempotencyKey: idempotencyKey ?? null,
        traceparent: span.traceparent() ?? (trace ? formatTraceparent(trace) : null),
        userEmail: caller.email ?? null,
        userSid: caller.sessionId ?? null,
        nodes,
      });
      if (started.outcome === 'stale' && !refresh) continue;
      if (started.outcome === 'stale')
        throw new DomainError(
          DomainErrorCode.Conflict,
          `Workflow ${workflowName} changed while the run was starting; try again`,
        );
      if (started.outcome === 'exists') {
        // The same Idempotency-Key again: the earlier run, if this is the same request (else 422).
        const earlier = (await this.runs.findById(caller.tenant, started.id))!;
        return { run: toRunView(assertSameRequest(earlier, workflowName, version, input)), created: false };
      }
      // A limited tenant's roots were parked or handed a slot by the start statement (SPEC §12.1).
      const limited = this.tenantLimits.isLimited(caller.tenant);
      const roots = rootsToEnqueue(nodes, limited).map((n) => n.id);
      if (limited) roots.push(...(await this.store.handedOutRoots(id)));
      await this.queue.enqueueAfterCommit(
        roots.map((nodeId) => ({ runId: id, nodeId, attempt: 1 })),
        { start: true },
      );
      this.metrics.runsStarted.inc({ workflow: stored.name });
      const run: RunView = {
        id,
        tenant: caller.tenant,
        status: RunStatus.Pending,
        workflow: { name: stored.name, version: stored.version },
        agentId: stored.agentId,
        userId: caller.subject,
        input,
        error: null,
        createdAt: started.createdAt.toISOString(),
        startedAt: null,
        finishedAt: null,
        parentRunId: null,
        rootRunId: id,
        depth: 0,
      };
      return { run, created: true };
    }
  }

  private noSuchWorkflow(name: string, version: number | undefined): DomainError {
    return new DomainError(
      DomainErrorCode.NotFound,
      `Workflow ${name}${version ? ` version ${version}` : ''} does not exist`,
    );
  }

  async get(id: string, caller: Caller): Promise<RunDetailView> {
    const { run, nodes, children } = await this.runs.findWithNodes(caller.tenant, this.checkedId(id));
    this.assertVisible(id, run, caller);
    return { ...toRunView(run!), nodes: nodes.map(toNodeRunView), children: children.map(toChildRunView) };
  }

  async list(
    caller: Caller,
    filter: { status?: RunStatus; workflow?: string; rootOnly?: boolean; limit: number; cursor?: string },
  ): Promise<Page<RunSummaryView>> {
    const owner = caller.may(ApiScopeKey.RunsReadAll) ? undefined : { iss: caller.issuer, sub: caller.subject };
    const page = await this.runs.list({ ...filter, tenant: caller.tenant, owner });
    // Lists never carry `input` (issue 10 item 11): it may be large or sensitive; the run view has it.
    return { items: page.items.map((run) => withoutInput(toRunView(run))), nextCursor: page.nextCursor };
  }

  /** Cancels at once (SPEC §4); 409 when the run is already terminal. */
  async cancel(id: string, caller: Caller): Promise<RunDetailView> {
    const run = await this.visibleRun(id, caller);
    const cancelled = isTerminalRunStatus(run.status as RunStatus)
      ? null
      : await this.store.cancel(run.id, caller.subject);
    if (!cancelled)
      throw new DomainError(
        DomainErrorCode.Conflict,
        `Run ${id} is already ${run.status === 'cancelled' ? 'cancelled' : 'finished'}`,
      );
    this.metrics.runsFinished.inc({ workflow: run.workflowName, status: RunStatus.Cancelled });
    await this.escalationEvents.resolved(cancelled.closedEscalations);
    return this.get(id, caller);
  }

  /** The run if the caller owns it or may read all runs; otherwise 404, so ids do not leak. */
  async visibleRun(id: string, caller: Caller, readAll: ApiScopeKey = ApiScopeKey.RunsReadAll): Promise<RunEntity> {
    const run = await this.runs.findById(caller.tenant, this.checkedId(id));
    this.assertVisible(id, run, caller, readAll);
    return run!;
  }

  private checkedId(id: string): string {
    if (!z.uuid().safeParse(id).success) throw new DomainError(DomainErrorCode.NotFound, `Run ${id} does not exist`);
    return id;
  }

  private assertVisible(
    id: string,
    run: RunEntity | null,
    caller: Caller,
    readAll: ApiScopeKey = ApiScopeKey.RunsReadAll,
  ): void {
    if (!run || (!caller.may(readAll) && !isCaller(caller, run.userIss, run.userSub))) {
      throw new DomainError(DomainErrorCode.NotFound, `Run ${id} does not exist`);
    }
  }
}

/** SPEC §16: a run input is at most 256 KiB (as JSON); more answers 413. */
export const MAX_RUN_INPUT_BYTES = 256 * 1024;

function withoutInput(view: RunView): Omit<RunView, 'input'> {
  const { input: _input, ...rest } = view;
  return rest;
}

/**
 * The IETF idempotency-key draft: a key reused for a different request (another workflow,
 * version or input) is a client error (422), not the earlier run.
 */
function assertSameRequest(
  earlier: RunEntity,
  workflowName: string,
  version: number | undefined,
  input: Record<string, unknown>,
): RunEntity {
  const same =
    earlier.workflowName === workflowName &&
    (version === undefined || earlier.workflowVersion === version) &&
    canonicalJson(earlier.input) === canonicalJson(input);
  if (!same) {
    throw new DomainError(
      DomainErrorCode.Unprocessable,
      'This Idempotency-Key was already used for a different request (workflow, version or input); use a new key',
    );
  }
  return earlier;
}

/** JSON with object keys sorted, so that key order (jsonb reorders keys) does not matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
