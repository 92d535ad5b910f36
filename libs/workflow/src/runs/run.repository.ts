import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeTimeIdCursor, toPage, type Page } from '@baton/platform';
import { DataSource } from 'typeorm';
import { NodeRunEntity } from '../persistence/node-run.entity.js';
import { RunEntity } from '../persistence/run.entity.js';

export interface RunListFilter {
  /** SPEC §12.1: only this tenant's runs, always. */
  tenant: string;
  owner?: { iss: string; sub: string };
  status?: string;
  workflow?: string;
  /** SPEC §11: leave child runs out. */
  rootOnly?: boolean;
  limit: number;
  cursor?: string;
}

/**
 * Reads of runs and their node rows for the API (state changes are RunStore's and NodeRunStore's).
 * Every read takes the caller's tenant first: another tenant's run is as absent as an unknown id.
 */
@Injectable()
export class RunRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findByIdempotencyKey(tenant: string, iss: string, sub: string, key: string): Promise<RunEntity | null> {
    return this.dataSource
      .getRepository(RunEntity)
      .findOneBy({ tenant, userIss: iss, userSub: sub, idempotencyKey: key });
  }

  findById(tenant: string, id: string): Promise<RunEntity | null> {
    return this.dataSource.getRepository(RunEntity).findOneBy({ tenant, id });
  }

  /** The run, its nodes and its child runs as of one snapshot, so a reader never sees a node ahead of its run. */
  findWithNodes(
    tenant: string,
    id: string,
  ): Promise<{ run: RunEntity | null; nodes: NodeRunEntity[]; children: RunEntity[] }> {
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const run = await m.findOneBy(RunEntity, { tenant, id });
      if (!run) return { run, nodes: [], children: [] };
      const nodes = await m.getRepository(NodeRunEntity).find({ where: { runId: id }, order: { position: 'ASC' } });
      const children = await m
        .getRepository(RunEntity)
        .find({ where: { parentRunId: id }, order: { createdAt: 'ASC', id: 'ASC' } });
      return { run, nodes, children };
    });
  }

  /** Newest first, keyset on (created_at, id). */
  async list(filter: RunListFilter): Promise<Page<RunEntity>> {
    const qb = this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('r')
      .where('r.tenant = :tenant', { tenant: filter.tenant })
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.owner) qb.andWhere('r.user_iss = :iss AND r.user_sub = :sub', filter.owner);
    if (filter.status) qb.andWhere('r.status = :status', { status: filter.status });
    if (filter.workflow) qb.andWhere('r.workflow_name = :workflow', { workflow: filter.workflow });
    if (filter.rootOnly) qb.andWhere('r.parent_run_id IS NULL');
    if (filter.cursor) {
      const [at, id] = decodeTimeIdCursor(filter.cursor);
      qb.andWhere('(r.created_at, r.id) < (:at::timestamptz, :id::uuid)', { at, id });
    }
    const rows = await qb.getMany();
    return toPage(rows, filter.limit, (r) => [toCursorTime(r.createdAt), r.id]);
  }
}

/** Postgres keeps microseconds; the cursor carries the exact value so no row is skipped or repeated. */
function toCursorTime(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}
