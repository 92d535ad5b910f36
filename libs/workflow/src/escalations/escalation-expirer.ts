import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditWriter, type AuditRecord } from '../audit/audit-writer.js';
import { AuditOperation, NodeErrorCode, allowedFromRun, RunStatus } from '../domain/index.js';
import { NodeRunStore } from '../engine/node-run.store.js';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import { RunEndCounter } from '../metrics/run-end-counter.js';
import { RunStore } from '../runs/run.store.js';
import { EscalationEvents } from './escalation-events.js';
import { EscalationRepository } from './escalation.repository.js';

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
    private readonly escalations: EscalationRepository,
    private readonly audit: AuditWriter,
    private readonly runs: RunStore,
    private readonly nodes: NodeRunStore,
    private readonly events: EscalationEvents,
    private readonly metrics: EngineMetrics,
    private readonly runEnds: RunEndCounter,
  ) {}

  /** Expires the escalation if it is still open and due; returns whether it did. */
  async expire(escalationId: string): Promise<boolean> {
    let closed: string[] = [];
    let ended = null as { runId: string; nodeId: string; reason: string } | null;
    const expired = await this.dataSource.transaction(async (m) => {
      const due = await this.escalations.expireDue(m, escalationId);
      if (!due) return false;
      ended = due;
      const row = { run_id: due.runId, node_id: due.nodeId };
      const runStatus = await this.runs.lock(m, row.run_id);
      const error = { code: NodeErrorCode.EscalationExpired, message: 'nobody resolved the escalation in time' };
      const audits: AuditRecord[] = [
        {
          operation: AuditOperation.EscalationExpired,
          runId: row.run_id,
          nodeId: row.node_id,
          success: false,
          details: { escalationId },
        },
      ];
      if (await this.nodes.failWaiting(m, row.run_id, row.node_id, error)) {
        audits.push({
          operation: AuditOperation.NodeFailed,
          runId: row.run_id,
          nodeId: row.node_id,
          success: false,
          error: error.code,
        });
      }
      await this.audit.writeForRun(m, row.run_id, audits);
      if (runStatus && allowedFromRun(RunStatus.Failed).includes(runStatus))
        closed = await this.runs.fail(m, row.run_id, row.node_id, error);
      return true;
    });
    if (ended) {
      this.metrics.escalationResolved(ended.reason, 'expire');
      this.runEnds.note(ended.runId, ended.nodeId);
    }
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
