import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError, DomainErrorCode } from '@baton/platform';
import { InboundTokenError, InboundTokenVerifier, SubjectTokenCipher } from '@baton/oauth';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { AuditWriter, type AuditRecord } from '../audit/audit-writer.js';
import {
  AuditOperation,
  ESCALATION_ACTIONS,
  EscalationAction,
  NodeErrorCode,
  isActionAllowedForReason,
  isTerminalRunStatus,
  type DependencyNode,
  type EscalationReason,
  type RunStatus,
} from '../domain/index.js';
import { DefinitionCache } from '../engine/definition-cache.js';
import { NodeQueue, type RunNodeJob } from '../engine/node-queue.js';
import { RunProgress } from '../engine/run-progress.js';
import type { EscalationEntity } from '../persistence/escalation.entity.js';
import { updateReturning } from '../persistence/sql.js';
import { runAudit, type RunAuditContext } from '../runs/run-audit.js';
import { EscalationEvents } from './escalation-events.js';
import { EscalationRepository, type EscalationWithRun } from './escalation.repository.js';
import { toEscalationView, type EscalationView } from './escalation.views.js';

export const resolveBodySchema = z.strictObject({
  action: z.enum(ESCALATION_ACTIONS as [EscalationAction, ...EscalationAction[]]),
  note: z.string().max(2000).optional(),
  subjectToken: z.string().min(1).max(16384).optional(),
});

/** Who resolves: the run's own user, or a holder of `escalationsResolve`. */
export interface EscalationCaller {
  issuer: string;
  subject: string;
  canResolveAll: boolean;
}

/** A fresh subject token for `resume`, already verified and sealed. */
interface FreshSubject {
  sealed: { ciphertext: Buffer; keyId: string };
  scopes: string[];
  expiresAt: Date;
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
    private readonly progress: RunProgress,
    private readonly definitions: DefinitionCache,
    private readonly queue: NodeQueue,
    private readonly events: EscalationEvents,
  ) {}

  async resolve(id: string, body: unknown, caller: EscalationCaller): Promise<EscalationView> {
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
    if (escalation.status !== 'open') throw new DomainError(DomainErrorCode.Conflict, `Escalation ${id} is already ${escalation.status}`);
    if (!isActionAllowedForReason(escalation.reason as EscalationReason, action)) {
      throw new DomainError(DomainErrorCode.Unprocessable, `Action ${action} does not fit an escalation for ${escalation.reason}`, [
        { path: '$.action', message: `must be one of the actions allowed for ${escalation.reason}` },
      ]);
    }
    const fresh = action === EscalationAction.Resume ? await this.freshSubject(subjectToken, run) : undefined;

    const context: RunAuditContext = { runId: run.id, workflow: run.workflowName, agentId: run.agentId, userId: run.userSub, issuer: run.userIss };
    const { workflowName, workflowVersion } = run;
    const { graph } = await this.definitions.get(workflowName, workflowVersion);
    const outcome = await this.dataSource.transaction(async (m) => {
      const won = await updateReturning<EscalationEntity>(
        m,
        `UPDATE escalations SET status = 'resolved', resolved_at = now(), resolved_by = $2, action = $3, note = $4, resolved_by_issuer = $5
         WHERE id = $1 AND status = 'open' RETURNING id`,
        [id, caller.subject, action, note ?? null, caller.issuer],
      );
      if (won.length === 0) throw new DomainError(DomainErrorCode.Conflict, `Escalation ${id} was resolved concurrently`);
      const [locked] = await m.query(`SELECT status FROM runs WHERE id = $1 FOR UPDATE`, [run.id]);
      if (isTerminalRunStatus(locked.status as RunStatus)) throw new DomainError(DomainErrorCode.Conflict, `Run ${run.id} is already ${locked.status}`);

      const audits: AuditRecord[] = [
        runAudit(context, AuditOperation.EscalationResolved, { nodeId: escalation.nodeId, details: { escalationId: id, by: caller.subject, byIssuer: caller.issuer, action, note: note ?? null } }),
      ];
      const closed: string[] = [];
      const jobs = await this.apply(m, action, escalation, context, graph, caller.subject, note, fresh, audits, closed);
      await this.audit.write(m, audits);
      return { jobs, closed };
    });

    await this.queue.enqueueAfterCommit(outcome.jobs);
    await this.events.resolved([id, ...outcome.closed]);
    const resolved = (await this.escalations.findWithRun(id))!;
    return toEscalationView(resolved.escalation, resolved.run.workflowName);
  }

  /** The escalation if the caller owns its run or may resolve all; otherwise 404. */
  async visible(id: string, caller: EscalationCaller): Promise<EscalationWithRun> {
    const found = z.uuid().safeParse(id).success ? await this.escalations.findWithRun(id) : null;
    if (!found || (!caller.canResolveAll && (found.run.userIss !== caller.issuer || found.run.userSub !== caller.subject))) {
      throw new DomainError(DomainErrorCode.NotFound, `Escalation ${id} does not exist`);
    }
    return found;
  }

  private async apply(
    m: EntityManager,
    action: EscalationAction,
    escalation: EscalationEntity,
    context: RunAuditContext,
    graph: readonly DependencyNode[],
    by: string,
    note: string | undefined,
    fresh: FreshSubject | undefined,
    audits: AuditRecord[],
    closed: string[],
  ): Promise<RunNodeJob[]> {
    const { runId, nodeId } = escalation;
    switch (action) {
      case EscalationAction.Resume:
        await m.query(
          `UPDATE runs SET subject_token_ciphertext = $2, subject_token_key_id = $3, subject_token_expires_at = $4, user_scopes = $5, updated_at = now() WHERE id = $1`,
          [runId, fresh!.sealed.ciphertext, fresh!.sealed.keyId, fresh!.expiresAt, fresh!.scopes],
        );
        return this.requeue(m, runId, nodeId);
      case EscalationAction.Retry:
        return this.requeue(m, runId, nodeId);
      case EscalationAction.Approve: {
        await this.settleWaitingNode(m, runId, nodeId, 'succeeded', { output: { approved: true, by, note: note ?? null } });
        audits.push(runAudit(context, AuditOperation.NodeSucceeded, { nodeId }));
        await this.backToRunning(m, runId);
        return this.progress.advance(m, context, graph, audits);
      }
      case EscalationAction.Reject:
      case EscalationAction.Abort: {
        const error =
          action === EscalationAction.Reject
            ? { code: NodeErrorCode.Rejected, message: `rejected by ${by}${note ? `: ${note}` : ''}` }
            : { code: NodeErrorCode.Aborted, message: `aborted by ${by}${note ? `: ${note}` : ''}` };
        await this.settleWaitingNode(m, runId, nodeId, 'failed', { error });
        audits.push(runAudit(context, AuditOperation.NodeFailed, { nodeId, success: false, error: error.code, details: { message: error.message } }));
        closed.push(...(await this.progress.failRun(m, context, nodeId, error, audits)));
        return [];
      }
    }
  }

  /** The node runs again (a new attempt), and the run is running again unless another escalation is open. */
  private async requeue(m: EntityManager, runId: string, nodeId: string): Promise<RunNodeJob[]> {
    const [node] = await updateReturning<{ attempts: number }>(
      m,
      `UPDATE node_runs SET status = 'queued', queued_at = now(), updated_at = now() WHERE run_id = $1 AND node_id = $2 AND status = 'waiting_for_human' RETURNING attempts`,
      [runId, nodeId],
    );
    if (!node) throw new DomainError(DomainErrorCode.Conflict, `Node ${nodeId} is no longer waiting`);
    await this.backToRunning(m, runId);
    return [{ runId, nodeId, attempt: node.attempts + 1 }];
  }

  private async settleWaitingNode(m: EntityManager, runId: string, nodeId: string, status: 'succeeded' | 'failed', fields: { output?: unknown; error?: object }): Promise<void> {
    const rows = await updateReturning(
      m,
      `UPDATE node_runs SET status = $3, output = $4::jsonb, error = $5::jsonb, finished_at = now(), updated_at = now()
       WHERE run_id = $1 AND node_id = $2 AND status = 'waiting_for_human' RETURNING node_id`,
      [runId, nodeId, status, fields.output === undefined ? null : JSON.stringify(fields.output), fields.error ? JSON.stringify(fields.error) : null],
    );
    if (rows.length === 0) throw new DomainError(DomainErrorCode.Conflict, `Node ${nodeId} is no longer waiting`);
  }

  private async backToRunning(m: EntityManager, runId: string): Promise<void> {
    await m.query(
      `UPDATE runs SET status = 'running', updated_at = now()
       WHERE id = $1 AND status = 'waiting_for_human' AND NOT EXISTS (SELECT 1 FROM escalations WHERE run_id = $1 AND status = 'open')`,
      [runId],
    );
  }

  /** SPEC §5: verified like any inbound token (else 422), and the same `iss` and `sub` (else 403). */
  private async freshSubject(subjectToken: string | undefined, run: EscalationWithRun['run']): Promise<FreshSubject> {
    if (!subjectToken) {
      throw new DomainError(DomainErrorCode.Unprocessable, 'resume needs a subjectToken', [{ path: '$.subjectToken', message: 'is required for resume' }]);
    }
    try {
      const principal = await this.verifier.verify(subjectToken);
      if (principal.issuer !== run.userIss || principal.subject !== run.userSub) {
        throw new DomainError(DomainErrorCode.Forbidden, "The subjectToken belongs to another user than the run's");
      }
      return { sealed: this.cipher.seal(subjectToken, { runId: run.id, issuer: run.userIss, subject: run.userSub }), scopes: principal.scopes, expiresAt: principal.expiresAt };
    } catch (error) {
      if (error instanceof InboundTokenError && error.code === 'issuer_unavailable') {
        throw new DomainError(DomainErrorCode.Unavailable, 'The token issuer cannot be reached to verify the subjectToken');
      }
      if (error instanceof InboundTokenError) {
        throw new DomainError(DomainErrorCode.Unprocessable, 'The subjectToken is not valid', [{ path: '$.subjectToken', message: error.message }]);
      }
      throw error;
    }
  }
}
