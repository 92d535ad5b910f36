import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectConfig, type BatonConfig } from '@baton/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditWriter, type AuditRecord } from '../audit/audit-writer.js';
import {
  AuditOperation,
  NodeStatus,
  RunStatus,
  allowedFromRun,
  type DependencyNode,
} from '../domain/index.js';
import { updateReturning } from '../persistence/sql.js';
import { runAudit, type RunAuditContext } from '../runs/run-audit.js';
import type { ClaimedNode } from './claimed-node.js';
import type { RunNodeJob } from './node-queue.js';
import type { NodeOutcome } from './node-outcome.js';
import { RunProgress } from './run-progress.js';

/** What to put on the schedule once a transition has committed. */
export interface FollowUp {
  jobs: RunNodeJob[];
  delayMs: number;
  /** An escalation this transition opened: its expiry gets scheduled and the webhook told. */
  openedEscalation?: { id: string; expiresAt: Date };
  /** Escalations Baton closed because the run failed: the webhook is told. */
  closedEscalations?: string[];
}

const NOTHING: FollowUp = { jobs: [], delayMs: 0 };

/**
 * The worker's state transitions. Each is one transaction made of guarded updates
 * (`… WHERE status IN (allowed)`) that commits together with its audit rows (STYLE §4). A node's
 * warm path costs two: `claim` and `settle`.
 */
@Injectable()
export class NodeTransitions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    private readonly progress: RunProgress,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  /**
   * Transaction 1: marks the node `running` for this attempt, loads the run, moves a `pending` run to
   * `running` and writes `node.started` — one statement, so one transaction and one round trip. A
   * job whose step was already taken (a duplicate, a cancelled run) claims nothing. A `running` row
   * with the same attempt is a crashed worker's step that BullMQ re-delivered; it is taken over.
   */
  async claim(job: RunNodeJob): Promise<ClaimedNode | null> {
    const [run] = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE node_runs SET status = 'running', attempts = $3, started_at = coalesce(started_at, now()), updated_at = now()
         WHERE run_id = $1 AND node_id = $2
           AND ((status = 'queued' AND attempts = $3 - 1) OR (status = 'running' AND attempts = $3))
           AND EXISTS (SELECT 1 FROM runs WHERE id = $1 AND status IN ('pending', 'running', 'waiting_for_human'))
         RETURNING run_id
       ), run AS (
         SELECT r.workflow_name, r.workflow_version, r.agent_id, r.input, r.user_iss, r.user_sub, r.user_scopes,
                r.subject_token_ciphertext, r.subject_token_key_id, r.subject_token_expires_at,
                (SELECT coalesce(jsonb_object_agg(node_id, jsonb_build_object('output', output)), '{}'::jsonb)
                   FROM node_runs WHERE run_id = $1 AND status = 'succeeded') AS outputs
         FROM runs r JOIN claimed ON claimed.run_id = r.id
       ), started AS (
         UPDATE runs SET status = 'running', started_at = now(), updated_at = now()
         WHERE id = $1 AND status = 'pending' AND EXISTS (SELECT 1 FROM claimed)
       ), audited AS (
         ${AuditWriter.insertSelect(`SELECT '${AuditOperation.NodeStarted}', $1::uuid, $2, workflow_name, agent_id, user_sub, user_iss,
                NULL::text[], NULL, true, NULL, jsonb_build_object('attempt', $3::int) FROM run`)}
       )
       SELECT * FROM run`,
      [job.runId, job.nodeId, job.attempt],
    );
    if (!run) return null;
    return {
      runId: job.runId,
      nodeId: job.nodeId,
      attempt: job.attempt,
      run: {
        workflowName: run.workflow_name,
        workflowVersion: run.workflow_version,
        agentId: run.agent_id,
        input: run.input,
        userIss: run.user_iss,
        userSub: run.user_sub,
        userScopes: run.user_scopes,
        subjectToken: run.subject_token_ciphertext ? { ciphertext: run.subject_token_ciphertext, keyId: run.subject_token_key_id } : null,
        subjectTokenExpiresAt: run.subject_token_expires_at,
      },
      outputs: run.outputs,
    };
  }

  /**
   * Transaction 2: records the attempt's outcome and advances the run. The run row is locked first,
   * so two nodes finishing at once cannot both miss a join node becoming ready.
   */
  settle(node: ClaimedNode, outcome: NodeOutcome, graph: readonly DependencyNode[]): Promise<FollowUp> {
    return this.dataSource.transaction(async (m) => {
      const [run] = await m.query(`SELECT status FROM runs WHERE id = $1 FOR UPDATE`, [node.runId]);
      const context = auditContext(node);
      const audits: AuditRecord[] = [...outcome.audits];
      const runIsLive = allowedFromRun(RunStatus.Succeeded).includes(run.status);
      let followUp = NOTHING;

      // Once the run is over (cancelled, or failed by another node) nothing new starts: a retry or an
      // escalation of this attempt is recorded as the node's failure instead.
      if (!runIsLive && (outcome.kind === 'retry' || outcome.kind === 'escalate')) {
        const error = outcome.kind === 'retry' ? outcome.error : { code: outcome.reason, message: outcome.detail };
        if (await this.moveNode(m, node, NodeStatus.Failed, { error, grantedScopes: outcome.grantedScopes })) {
          audits.push(runAudit(context, AuditOperation.NodeFailed, { nodeId: node.nodeId, success: false, error: error.code, details: { message: error.message } }));
          await this.audit.write(m, audits);
        }
        return NOTHING;
      }

      switch (outcome.kind) {
        case 'succeeded': {
          if (!(await this.moveNode(m, node, NodeStatus.Succeeded, { output: outcome.output, grantedScopes: outcome.grantedScopes }))) return NOTHING;
          audits.push(runAudit(context, AuditOperation.NodeSucceeded, { nodeId: node.nodeId, scopes: outcome.grantedScopes }));
          if (runIsLive) followUp = { jobs: await this.progress.advance(m, context, graph, audits), delayMs: 0 };
          break;
        }
        case 'retry': {
          if (!(await this.moveNode(m, node, NodeStatus.Queued, { error: outcome.error, grantedScopes: outcome.grantedScopes, delayMs: outcome.delayMs }))) {
            return NOTHING;
          }
          followUp = { jobs: [{ runId: node.runId, nodeId: node.nodeId, attempt: node.attempt + 1 }], delayMs: outcome.delayMs };
          break;
        }
        case 'failed': {
          if (!(await this.moveNode(m, node, NodeStatus.Failed, { error: outcome.error, grantedScopes: outcome.grantedScopes }))) return NOTHING;
          audits.push(runAudit(context, AuditOperation.NodeFailed, { nodeId: node.nodeId, success: false, error: outcome.error.code, details: { message: outcome.error.message } }));
          if (runIsLive) followUp = { ...NOTHING, closedEscalations: await this.progress.failRun(m, context, node.nodeId, outcome.error, audits) };
          break;
        }
        case 'escalate': {
          if (!(await this.moveNode(m, node, NodeStatus.WaitingForHuman, { grantedScopes: outcome.grantedScopes }))) return NOTHING;
          const id = randomUUID();
          const [opened] = await m.query(
            `INSERT INTO escalations (id, run_id, node_id, reason, status, detail, prompt, expires_at)
             VALUES ($1, $2, $3, $4, 'open', $5, $6, now() + make_interval(secs => $7)) RETURNING expires_at`,
            [id, node.runId, node.nodeId, outcome.reason, outcome.detail, outcome.prompt ?? null, this.config.escalationTtlSeconds],
          );
          await m.query(`UPDATE runs SET status = 'waiting_for_human', updated_at = now() WHERE id = $1 AND status = ANY($2)`, [
            node.runId,
            allowedFromRun(RunStatus.WaitingForHuman),
          ]);
          audits.push(
            runAudit(context, AuditOperation.EscalationCreated, { nodeId: node.nodeId, success: true, details: { escalationId: id, reason: outcome.reason } }),
          );
          followUp = { jobs: [], delayMs: 0, openedEscalation: { id, expiresAt: new Date(opened.expires_at) } };
          break;
        }
      }
      await this.audit.write(m, audits);
      return followUp;
    });
  }

  /** Guarded node update from `running`; false when the attempt was already settled. */
  private async moveNode(
    m: EntityManager,
    node: ClaimedNode,
    next: NodeStatus,
    fields: { output?: unknown; error?: { code: string; message: string }; grantedScopes?: string[] | null; delayMs?: number },
  ): Promise<boolean> {
    const finished = next === NodeStatus.Succeeded || next === NodeStatus.Failed;
    const rows = await updateReturning(
      m,
      `UPDATE node_runs SET status = $3, updated_at = now(),
              output = CASE WHEN $3 = 'succeeded' THEN $4::jsonb ELSE output END,
              error = $5::jsonb,
              granted_scopes = coalesce($6, granted_scopes),
              finished_at = CASE WHEN $7 THEN now() ELSE finished_at END,
              queued_at = CASE WHEN $3 = 'queued' THEN now() + make_interval(secs => $8 / 1000.0) ELSE queued_at END
       WHERE run_id = $1 AND node_id = $2 AND status = 'running' AND attempts = $9
       RETURNING node_id`,
      [
        node.runId,
        node.nodeId,
        next,
        fields.output === undefined ? null : JSON.stringify(fields.output),
        fields.error ? JSON.stringify(fields.error) : null,
        fields.grantedScopes ?? null,
        finished,
        fields.delayMs ?? 0,
        node.attempt,
      ],
    );
    return rows.length === 1;
  }
}

export function auditContext(node: ClaimedNode): RunAuditContext {
  return { runId: node.runId, workflow: node.run.workflowName, agentId: node.run.agentId, userId: node.run.userSub, issuer: node.run.userIss };
}
