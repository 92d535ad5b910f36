import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditRecord } from '../audit/audit-writer.js';
import {
  AuditOperation,
  NodeStatus,
  RunStatus,
  allowedFromNode,
  allowedFromRun,
  deriveRunOutcome,
  readyNodes,
  type DependencyNode,
  type NodeStatuses,
} from '../domain/index.js';
import { updateReturning } from '../persistence/sql.js';
import { runAudit, type RunAuditContext } from '../runs/run-audit.js';
import type { RunNodeJob } from './node-queue.js';

/**
 * How a run moves on once one of its nodes has settled, shared by the worker (a node finished)
 * and the escalation queue (a human approved, rejected, aborted or let it expire). Every method
 * works inside the caller's transaction, after the caller locked the run row.
 */
@Injectable()
export class RunProgress {
  /** After a node succeeded: queue what became ready, or finish the run when every node succeeded. */
  async advance(m: EntityManager, context: RunAuditContext, graph: readonly DependencyNode[], audits: AuditRecord[]): Promise<RunNodeJob[]> {
    const rows: { node_id: string; status: NodeStatus }[] = await m.query(`SELECT node_id, status FROM node_runs WHERE run_id = $1`, [context.runId]);
    const statuses: Record<string, NodeStatus> = Object.fromEntries(rows.map((r) => [r.node_id, r.status]));
    const ready = readyNodes(graph, statuses as NodeStatuses);
    if (ready.length > 0) {
      await m.query(`UPDATE node_runs SET status = 'queued', queued_at = now(), updated_at = now() WHERE run_id = $1 AND node_id = ANY($2) AND status = 'pending'`, [
        context.runId,
        ready,
      ]);
      return ready.map((nodeId) => ({ runId: context.runId, nodeId, attempt: 1 }));
    }
    if (deriveRunOutcome(statuses) === RunStatus.Succeeded) {
      await this.finishRun(m, context.runId, RunStatus.Succeeded, null);
      audits.push(runAudit(context, AuditOperation.RunSucceeded));
    }
    return [];
  }

  /**
   * A failed node (or a rejection, an abort, an expiry) fails the run: nodes that never started
   * become `skipped`, and escalations still open on other nodes are closed.
   */
  /** Returns the ids of the escalations it closed, so their webhook events can be sent after commit. */
  async failRun(m: EntityManager, context: RunAuditContext, nodeId: string, error: { code: string; message: string }, audits: AuditRecord[]): Promise<string[]> {
    await this.finishRun(m, context.runId, RunStatus.Failed, { ...error, nodeId });
    await m.query(`UPDATE node_runs SET status = 'skipped', updated_at = now() WHERE run_id = $1 AND status = ANY($2)`, [context.runId, allowedFromNode(NodeStatus.Skipped)]);
    // Other nodes still waiting for a human can no longer go anywhere.
    await m.query(
      `UPDATE node_runs SET status = 'failed', finished_at = now(), updated_at = now(), error = '{"code":"aborted","message":"the run failed"}'::jsonb
       WHERE run_id = $1 AND status = 'waiting_for_human'`,
      [context.runId],
    );
    const closed = await this.closeOpenEscalations(m, context, 'run failed', audits);
    audits.push(runAudit(context, AuditOperation.RunFailed, { nodeId, success: false, error: error.code }));
    return closed;
  }

  /**
   * A run that ends while escalations are open (another node failed, or it was cancelled) leaves
   * nothing for a human to do: those escalations are resolved by Baton with `abort`.
   */
  async closeOpenEscalations(m: EntityManager, context: RunAuditContext, note: string, audits: AuditRecord[]): Promise<string[]> {
    const closed = await updateReturning<{ id: string; node_id: string }>(
      m,
      `UPDATE escalations SET status = 'resolved', action = 'abort', resolved_by = 'baton', resolved_at = now(), note = $2
       WHERE run_id = $1 AND status = 'open' RETURNING id, node_id`,
      [context.runId, note],
    );
    for (const e of closed) {
      audits.push(runAudit(context, AuditOperation.EscalationResolved, { nodeId: e.node_id, details: { escalationId: e.id, by: 'baton', action: 'abort', note } }));
    }
    return closed.map((e) => e.id);
  }

  /** Terminal run: the subject token is deleted in the same statement (SPEC §4). */
  async finishRun(m: EntityManager, runId: string, status: RunStatus, error: object | null): Promise<void> {
    await m.query(
      `UPDATE runs SET status = $2, error = $3::jsonb, finished_at = now(), updated_at = now(),
              subject_token_ciphertext = NULL, subject_token_key_id = NULL
       WHERE id = $1 AND status = ANY($4)`,
      [runId, status, error ? JSON.stringify(error) : null, allowedFromRun(status)],
    );
  }
}
