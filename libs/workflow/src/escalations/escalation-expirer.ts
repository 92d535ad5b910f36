import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditWriter, type AuditRecord } from '../audit/audit-writer.js';
import { AuditOperation, NodeErrorCode, allowedFromRun, RunStatus } from '../domain/index.js';
import { RunProgress } from '../engine/run-progress.js';
import { updateReturning } from '../persistence/sql.js';
import { runAudit, type RunAuditContext } from '../runs/run-audit.js';
import { EscalationEvents } from './escalation-events.js';

const SWEEP_BATCH = 100;

/**
 * Open escalations expire after `escalationTtlSeconds`; expiry fails the escalated node and the
 * run (SPEC §5). Triggered by a delayed BullMQ job per escalation, with the sweeper as backstop.
 */
@Injectable()
export class EscalationExpirer {
  private readonly logger = new Logger(EscalationExpirer.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    private readonly progress: RunProgress,
    private readonly events: EscalationEvents,
  ) {}

  /** Expires the escalation if it is still open and due; returns whether it did. */
  async expire(escalationId: string): Promise<boolean> {
    let closed: string[] = [];
    const expired = await this.dataSource.transaction(async (m) => {
      const [row] = await updateReturning<{ run_id: string; node_id: string }>(
        m,
        `UPDATE escalations SET status = 'expired', resolved_at = now()
         WHERE id = $1 AND status = 'open' AND expires_at <= now() RETURNING run_id, node_id`,
        [escalationId],
      );
      if (!row) return false;
      const [run] = await m.query(
        `SELECT id, status, workflow_name, agent_id, user_iss, user_sub FROM runs WHERE id = $1 FOR UPDATE`,
        [row.run_id],
      );
      const context: RunAuditContext = { runId: run.id, workflow: run.workflow_name, agentId: run.agent_id, userId: run.user_sub, issuer: run.user_iss };
      const audits: AuditRecord[] = [runAudit(context, AuditOperation.EscalationExpired, { nodeId: row.node_id, success: false, details: { escalationId } })];
      const error = { code: NodeErrorCode.EscalationExpired, message: 'nobody resolved the escalation in time' };
      const failed = await updateReturning(
        m,
        `UPDATE node_runs SET status = 'failed', error = $3::jsonb, finished_at = now(), updated_at = now()
         WHERE run_id = $1 AND node_id = $2 AND status = 'waiting_for_human' RETURNING node_id`,
        [row.run_id, row.node_id, JSON.stringify(error)],
      );
      if (failed.length > 0) audits.push(runAudit(context, AuditOperation.NodeFailed, { nodeId: row.node_id, success: false, error: error.code }));
      if (allowedFromRun(RunStatus.Failed).includes(run.status)) closed = await this.progress.failRun(m, context, row.node_id, error, audits);
      await this.audit.write(m, audits);
      return true;
    });
    if (expired) await this.events.expired(escalationId);
    if (closed.length > 0) await this.events.resolved(closed);
    return expired;
  }

  /** Backstop for lost delayed jobs: expires every open escalation that is overdue. */
  async expireOverdue(): Promise<number> {
    const due: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM escalations WHERE status = 'open' AND expires_at <= now() ORDER BY expires_at LIMIT $1`,
      [SWEEP_BATCH],
    );
    let count = 0;
    for (const { id } of due) if (await this.expire(id)) count++;
    if (count > 0) this.logger.log({ count }, 'expired overdue escalations');
    return count;
  }
}
