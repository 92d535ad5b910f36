import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditOperation } from '../domain/index.js';

/** What a caller says about one operation; the database adds id, time and the hash chain. */
export interface AuditRecord {
  operation: AuditOperation;
  success: boolean;
  runId?: string;
  nodeId?: string | null;
  workflow?: string | null;
  agentId?: string | null;
  /** The user's `sub`. */
  userId?: string | null;
  /** The user's `iss`. */
  issuer?: string | null;
  scopes?: string[] | null;
  target?: string | null;
  error?: string | null;
  details?: Record<string, unknown> | null;
}

/**
 * Audit rows outside the engine's own SQL functions (the escalation queue's transitions). It always
 * writes inside the caller's transaction, so an audit row commits together with the transition it
 * describes (or not at all). No token ever reaches here: records carry scopes, targets and ids only.
 */
@Injectable()
export class AuditWriter {
  /**
   * Audit rows of one run inside the caller's transaction; the run's facts (workflow, agent, user)
   * come from its row, as in the engine's SQL functions (baton_write_audits).
   */
  async writeForRun(manager: EntityManager, runId: string, records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await manager.query(`SELECT baton_write_audits($1, $2::jsonb)`, [runId, auditJson(records)]);
  }

  /** The same records for each of `runIds` (each in its own run's chain), in one statement. */
  async writeForRuns(
    manager: EntityManager,
    runIds: readonly string[],
    records: readonly AuditRecord[],
  ): Promise<void> {
    if (runIds.length === 0 || records.length === 0) return;
    await manager.query(`SELECT baton_write_audits(id, $2::jsonb) FROM unnest($1::uuid[]) AS id`, [
      runIds,
      auditJson(records),
    ]);
  }

  /**
   * One audit row that belongs to no run (`runId` null: a workflow version stored, a preflight)
   * of `tenant`, inside the caller's transaction; the caller names the workflow, agent and user itself. Such rows
   * are outside every run's hash chain.
   */
  async writeWithoutRun(manager: EntityManager, tenant: string, record: Omit<AuditRecord, 'runId'>): Promise<void> {
    await manager.query(
      `INSERT INTO audit_entries (tenant, operation, run_id, node_id, workflow, agent_id, user_id, issuer, scopes, target, success, error, details)
       VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        tenant,
        record.operation,
        record.nodeId ?? null,
        record.workflow ?? null,
        record.agentId ?? null,
        record.userId ?? null,
        record.issuer ?? null,
        record.scopes ?? null,
        record.target ?? null,
        record.success,
        record.error ?? null,
        record.details == null ? null : JSON.stringify(record.details),
      ],
    );
  }
}

/** Records as baton_write_audits reads them (the run's facts are taken from its row, not from here). */
export function auditRows(records: readonly AuditRecord[]): Record<string, unknown>[] {
  return records.map((r) => ({
    operation: r.operation,
    node_id: r.nodeId ?? null,
    scopes: r.scopes ?? null,
    target: r.target ?? null,
    success: r.success,
    error: r.error ?? null,
    details: r.details ?? null,
  }));
}

export function auditJson(records: readonly AuditRecord[]): string {
  return JSON.stringify(auditRows(records));
}
