import { TREE_OF } from '../audit/audit-sql.js';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeTimeIdCursor, toPage, type Page } from '@baton/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { EscalationStatus } from '../domain/index.js';
import { updateReturning } from '../persistence/sql.js';
import { EscalationEntity } from '../persistence/escalation.entity.js';
import type { RunEntity } from '../persistence/run.entity.js';

export interface EscalationListFilter {
  /** SPEC §12.1: only this tenant's escalations, always. */
  tenant: string;
  /** Only escalations of this user's runs; all when absent (escalationsResolve). */
  owner?: { iss: string; sub: string };
  status: string;
  reason?: string;
  runId?: string;
  workflow?: string;
  limit: number;
  cursor?: string;
}

export interface EscalationWithRun {
  escalation: EscalationEntity;
  run: Pick<
    RunEntity,
    'id' | 'tenant' | 'workflowName' | 'workflowVersion' | 'agentId' | 'userIss' | 'userSub' | 'status'
  >;
}

/** The escalations table: its state changes, and reads together with the facts of their run that decide visibility. */
@Injectable()
export class EscalationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The guarded resolution: of two concurrent resolves exactly one gets true. */
  async resolveOpen(
    m: EntityManager,
    id: string,
    resolution: { by: string; byIssuer: string; action: string; note: string | null },
  ): Promise<boolean> {
    const won = await updateReturning(
      m,
      `UPDATE escalations SET status = $2, resolved_at = now(), resolved_by = $3, action = $4, note = $5, resolved_by_issuer = $7
       WHERE id = $1 AND status = $6 RETURNING id`,
      [
        id,
        EscalationStatus.Resolved,
        resolution.by,
        resolution.action,
        resolution.note,
        EscalationStatus.Open,
        resolution.byIssuer,
      ],
    );
    return won.length === 1;
  }

  /** Expires an open escalation that is due; its run and node, or null when it was not open or not due. */
  async expireDue(m: EntityManager, id: string): Promise<{ runId: string; nodeId: string; reason: string } | null> {
    const [row] = await updateReturning<{ run_id: string; node_id: string; reason: string }>(
      m,
      `UPDATE escalations SET status = $2, resolved_at = now() WHERE id = $1 AND status = $3 AND expires_at <= now() RETURNING run_id, node_id, reason`,
      [id, EscalationStatus.Expired, EscalationStatus.Open],
    );
    return row ? { runId: row.run_id, nodeId: row.node_id, reason: row.reason } : null;
  }

  /** The tenant's escalation with its run; another tenant's id is as absent as an unknown one (SPEC §12.1). */
  async findWithRun(tenant: string, id: string): Promise<EscalationWithRun | null> {
    const found = await this.findInAnyTenant(id);
    return found?.run.tenant === tenant ? found : null;
  }

  /** For the deployment's own jobs (webhook delivery), which act for whichever tenant the run is in. */
  async findInAnyTenant(id: string): Promise<EscalationWithRun | null> {
    const escalation = await this.dataSource.getRepository(EscalationEntity).findOneBy({ id });
    if (!escalation) return null;
    const [run] = await this.dataSource.query(
      `SELECT id, tenant, workflow_name AS "workflowName", workflow_version AS "workflowVersion", agent_id AS "agentId",
              user_iss AS "userIss", user_sub AS "userSub", status FROM runs WHERE id = $1`,
      [escalation.runId],
    );
    return { escalation, run };
  }

  /** Newest first, keyset on (created_at, id). */
  async list(filter: EscalationListFilter): Promise<Page<EscalationEntity & { workflow: string }>> {
    const qb = this.dataSource
      .getRepository(EscalationEntity)
      .createQueryBuilder('e')
      .innerJoin('runs', 'r', 'r.id = e.run_id')
      .addSelect('r.workflow_name', 'workflow')
      .where('r.tenant = :tenant AND e.status = :status', { tenant: filter.tenant, status: filter.status })
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.owner) qb.andWhere('r.user_iss = :iss AND r.user_sub = :sub', filter.owner);
    if (filter.reason) qb.andWhere('e.reason = :reason', { reason: filter.reason });
    // SPEC §11: a run's escalations include its descendants'.
    if (filter.runId) qb.andWhere(`e.run_id IN (${TREE_OF(':runId::uuid')})`, { runId: filter.runId });
    if (filter.workflow) qb.andWhere('r.workflow_name = :workflow', { workflow: filter.workflow });
    if (filter.cursor) {
      const [at, id] = decodeTimeIdCursor(filter.cursor);
      qb.andWhere('(e.created_at, e.id) < (:at::timestamptz, :id::uuid)', { at, id });
    }
    const { entities, raw } = await qb.getRawAndEntities<{ workflow: string }>();
    const rows = entities.map((e, i) => Object.assign(e, { workflow: raw[i]!.workflow }));
    return toPage(rows, filter.limit, (e) => [new Date(e.createdAt).toISOString(), e.id]);
  }
}
