import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiScopeKey, DomainError, DomainErrorCode, isCaller, type Caller } from '@baton/platform';
import { InboundTokenError, InboundTokenVerifier, SubjectTokenCipher } from '@baton/oauth';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { AuditWriter, type AuditRecord } from '../audit/audit-writer.js';
import { DefinitionCache, type CachedDefinition } from '../definitions/definition-cache.js';
import {
  AuditOperation,
  ESCALATION_ACTIONS,
  EscalationAction,
  NodeErrorCode,
  delegatedScopes,
  isActionAllowedForReason,
  isTerminalRunStatus,
  type EscalationReason,
} from '../domain/index.js';
import { NodeQueue, type RunNodeJob } from '../engine/node-queue.js';
import { NodeRunStore } from '../engine/node-run.store.js';
import type { EscalationEntity } from '../persistence/escalation.entity.js';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import { RunEndCounter } from '../metrics/run-end-counter.js';
import { RunStore } from '../runs/run.store.js';
import { EscalationEvents } from './escalation-events.js';
import { EscalationRepository, type EscalationWithRun } from './escalation.repository.js';
import { toEscalationView, type EscalationView } from './escalation.views.js';

export const resolveBodySchema = z.strictObject({
  action: z.enum(ESCALATION_ACTIONS as [EscalationAction, ...EscalationAction[]]),
  note: z.string().max(2000).optional(),
  subjectToken: z.string().min(1).max(16384).optional(),
});

/** A fresh subject token for `resume`, already verified and sealed. */
interface FreshSubject {
  /** Sealed for one run (the seal binds the run id): every run of the tree gets its own (SPEC §11). */
  seal(runId: string): { ciphertext: Buffer; keyId: string };
  scopes: string[];
  expiresAt: Date;
  email: string | null;
  sid: string | null;
}

/**
 * Working the human-in-the-loop queue (SPEC §5): resume, retry, approve, reject, abort. The
 * resolution is one transaction whose first statement is a guarded `UPDATE … WHERE status = 'open'`,
 * so of two concurrent resolves exactly one wins and the other answers 409.
 */
@Injectable()
export class EscalationResolver {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly escalations: EscalationRepository,
    private readonly verifier: InboundTokenVerifier,
    private readonly cipher: SubjectTokenCipher,
    private readonly audit: AuditWriter,
    private readonly runs: RunStore,
    private readonly nodes: NodeRunStore,
    private readonly definitions: DefinitionCache,
    private readonly queue: NodeQueue,
    private readonly events: EscalationEvents,
    private readonly metrics: EngineMetrics,
    private readonly runEnds: RunEndCounter,
  ) {}

  async resolve(id: string, body: unknown, caller: Caller): Promise<EscalationView> {
    const parsed = resolveBodySchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new DomainError(
        DomainErrorCode.InvalidInput,
        'The resolution is malformed',
        parsed.error.issues.map((i) => ({ path: ['$', ...i.path].join('.'), message: i.message })),
      );
    }
    const { action, note, subjectToken } = parsed.data;
    const found = await this.visible(id, caller);
    const { escalation, run } = found;
    if (escalation.status !== 'open')
      throw new DomainError(DomainErrorCode.Conflict, `Escalation ${id} is already ${escalation.status}`);
    if (!isActionAllowedForReason(escalation.reason as EscalationReason, action)) {
      throw new DomainError(
        DomainErrorCode.Unprocessable,
        `Action ${action} does not fit an escalation for ${escalation.reason}`,
        [{ path: '$.action', message: `must be one of the actions allowed for ${escalation.reason}` }],
      );
    }
    const fresh = action === EscalationAction.Resume ? await this.freshSubject(subjectToken, run) : undefined;

    const definition = await this.definitions.get(run.tenant, run.workflowName, run.workflowVersion);
    if (!definition) throw new Error(`workflow ${run.workflowName} version ${run.workflowVersion} is missing`);
    const outcome = await this.dataSource.transaction(async (m) => {
      if (
        !(await this.escalations.resolveOpen(m, id, {
          by: caller.subject,
          byIssuer: caller.issuer,
          action,
          note: note ?? null,
        }))
      ) {
        throw new DomainError(DomainErrorCode.Conflict, `Escalation ${id} was resolved concurrently`);
      }
      const runStatus = await this.runs.lock(m, run.id);
      if (!runStatus || isTerminalRunStatus(runStatus))
        throw new DomainError(DomainErrorCode.Conflict, `Run ${run.id} is already ${runStatus}`);
      const resolved: AuditRecord = {
        operation: AuditOperation.EscalationResolved,
        nodeId: escalation.nodeId,
        success: true,
        details: { escalationId: id, by: caller.subject, byIssuer: caller.issuer, action, note: note ?? null },
      };
      return this.apply(m, action, escalation, definition, caller.subject, note, fresh, resolved);
    });

    this.metrics.escalationResolved(escalation.reason, action);
    // Approve may complete the run's last node; reject and abort fail the run (counted at scrape time).
    if (action === EscalationAction.Approve || action === EscalationAction.Reject || action === EscalationAction.Abort)
      this.runEnds.note(escalation.runId, escalation.nodeId);
    await this.queue.enqueueAfterCommit(outcome.jobs);
    await this.events.resolved([id, ...outcome.closed]);
    const resolved = (await this.escalations.findWithRun(caller.tenant, id))!;
    return toEscalationView(resolved.escalation, resolved.run.workflowName);
  }

  /** The escalation if the caller owns its run or may resolve all; otherwise 404. */
  async visible(id: string, caller: Caller): Promise<EscalationWithRun> {
    const found = z.uuid().safeParse(id).success ? await this.escalations.findWithRun(caller.tenant, id) : null;
    if (
      !found ||
      (!caller.may(ApiScopeKey.EscalationsResolve) && !isCaller(caller, found.run.userIss, found.run.userSub))
    ) {
      throw new DomainError(DomainErrorCode.NotFound, `Escalation ${id} does not exist`);
    }
    return found;
  }

  /** The action's transition, inside the resolution's transaction; what to schedule after commit. */
  private async apply(
    m: EntityManager,
    action: EscalationAction,
    escalation: EscalationEntity,
    definition: CachedDefinition,
    by: string,
    note: string | undefined,
    fresh: FreshSubject | undefined,
    resolved: AuditRecord,
  ): Promise<{ jobs: RunNodeJob[]; closed: string[] }> {
    const { runId, nodeId } = escalation;
    switch (action) {
      case EscalationAction.Resume:
      case EscalationAction.Retry: {
        // One subject token for the tree (SPEC §11): resuming any run replaces it in every run not
        // over, each child keeping only the user's scopes within its delegation.
        if (fresh)
          for (const member of await this.runs.inFlightTree(m, runId))
            await this.runs.replaceSubjectToken(m, member.id, {
              ...fresh.seal(member.id),
              expiresAt: fresh.expiresAt,
              scopes: delegatedScopes(fresh.scopes, member.delegation),
              email: fresh.email,
              sid: fresh.sid,
            });
        const job = await this.nodes.requeueWaiting(m, runId, nodeId);
        if (!job) throw new DomainError(DomainErrorCode.Conflict, `Node ${nodeId} is no longer waiting`);
        await this.runs.backToRunning(m, runId);
        await this.audit.writeForRun(m, runId, [resolved]);
        return { jobs: [job], closed: [] };
      }
      case EscalationAction.Approve: {
        await this.runs.backToRunning(m, runId);
        const successors = definition.plan.successors.get(nodeId) ?? [];
        const completion = await this.nodes.approveWaiting(
          m,
          runId,
          nodeId,
          { approved: true, by, note: note ?? null },
          [resolved],
          successors,
        );
        if (!completion.settled) throw new DomainError(DomainErrorCode.Conflict, `Node ${nodeId} is no longer waiting`);
        return { jobs: completion.queued, closed: [] };
      }
      case EscalationAction.Reject:
      case EscalationAction.Abort: {
        const error =
          action === EscalationAction.Reject
            ? { code: NodeErrorCode.Rejected, message: `rejected by ${by}${note ? `: ${note}` : ''}` }
            : { code: NodeErrorCode.Aborted, message: `aborted by ${by}${note ? `: ${note}` : ''}` };
        if (!(await this.nodes.failWaiting(m, runId, nodeId, error)))
          throw new DomainError(DomainErrorCode.Conflict, `Node ${nodeId} is no longer waiting`);
        await this.audit.writeForRun(m, runId, [
          resolved,
          {
            operation: AuditOperation.NodeFailed,
            nodeId,
            success: false,
            error: error.code,
            details: { message: error.message },
          },
        ]);
        return { jobs: [], closed: await this.runs.fail(m, runId, nodeId, error) };
      }
    }
  }

  /** SPEC §5: verified like any inbound token (else 422), and the same `iss` and `sub` (else 403). */
  private async freshSubject(subjectToken: string | undefined, run: EscalationWithRun['run']): Promise<FreshSubject> {
    if (!subjectToken) {
      throw new DomainError(DomainErrorCode.Unprocessable, 'resume needs a subjectToken', [
        { path: '$.subjectToken', message: 'is required for resume' },
      ]);
    }
    try {
      const principal = await this.verifier.verify(subjectToken);
      if (principal.issuer !== run.userIss || principal.subject !== run.userSub) {
        throw new DomainError(DomainErrorCode.Forbidden, "The subjectToken belongs to another user than the run's");
      }
      return {
        seal: (runId) => this.cipher.seal(subjectToken, { runId, issuer: run.userIss, subject: run.userSub }),
        scopes: principal.scopes,
        expiresAt: principal.expiresAt,
        email: typeof principal.claims.email === 'string' ? principal.claims.email : null,
        sid: typeof principal.claims.sid === 'string' ? principal.claims.sid : null,
      };
    } catch (error) {
      if (error instanceof InboundTokenError && error.code === 'issuer_unavailable') {
        throw new DomainError(
          DomainErrorCode.Unavailable,
          'The token issuer cannot be reached to verify the subjectToken',
        );
      }
      if (error instanceof InboundTokenError) {
        throw new DomainError(DomainErrorCode.Unprocessable, 'The subjectToken is not valid', [
          { path: '$.subjectToken', message: error.message },
        ]);
      }
      throw error;
    }
  }
}
