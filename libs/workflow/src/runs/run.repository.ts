import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeTimeIdCursor, toPage, type Page } from '@baton/platform';
import { DataSource } from 'typeorm';
import { AuditWriter, type AuditRecord } from '../audit/audit-writer.js';
import { AuditOperation, NodeStatus, RunStatus, allowedFromNode, allowedFromRun } from '../domain/index.js';
import { NodeRunEntity } from '../persistence/node-run.entity.js';
import { RunProgress } from '../engine/run-progress.js';
import { RunEntity } from '../persistence/run.entity.js';
import { updateReturning } from '../persistence/sql.js';
import { runAudit } from './run-audit.js';

export interface NewRun {
  id: string;
  workflowName: string;
  workflowVersion: number;
  agentId: string | null;
  input: Record<string, unknown>;
  userIss: string;
  userSub: string;
  userScopes: string[];
  subjectToken: { ciphertext: Buffer; keyId: string; expiresAt: Date };
  idempotencyKey: string | null;
  /** In definition order; roots start `queued`, the rest `pending`. */
  nodes: { id: string; type: string; queued: boolean }[];
}

export interface RunListFilter {
  owner?: { iss: string; sub: string };
  status?: string;
  workflow?: string;
  limit: number;
  cursor?: string;
}

const UNIQUE_VIOLATION = '23505';

/** Runs and their node rows, for the API side (the worker's transitions live in NodeTransitions). */
@Injectable()
export class RunRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    private readonly progress: RunProgress,
  ) {}

  /**
   * Inserts the run, its node rows and `run.started` in one transaction. Returns null when the
   * (user, Idempotency-Key) pair already has a run.
   */
  async insert(run: NewRun): Promise<RunEntity | null> {
    try {
      return await this.dataSource.transaction(async (m) => {
        await m.query(
          `INSERT INTO runs (id, workflow_name, workflow_version, agent_id, status, input, user_iss, user_sub, user_scopes,
                             subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, idempotency_key)
           VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10, $11, $12)`,
          [run.id, run.workflowName, run.workflowVersion, run.agentId, JSON.stringify(run.input), run.userIss, run.userSub, run.userScopes,
            run.subjectToken.ciphertext, run.subjectToken.keyId, run.subjectToken.expiresAt, run.idempotencyKey],
        );
        await m.query(
          `INSERT INTO node_runs (run_id, node_id, type, position, status, queued_at)
           SELECT $1, n.id, n.type, n.position, CASE WHEN n.queued THEN 'queued' ELSE 'pending' END, CASE WHEN n.queued THEN now() END
           FROM jsonb_to_recordset($2::jsonb) AS n(id text, type text, position int, queued boolean)`,
          [run.id, JSON.stringify(run.nodes.map((n, position) => ({ ...n, position })))],
        );
        await this.audit.write(m, [
          runAudit(
            { runId: run.id, workflow: run.workflowName, agentId: run.agentId, userId: run.userSub, issuer: run.userIss },
            AuditOperation.RunStarted,
            { scopes: run.userScopes, details: { version: run.workflowVersion } },
          ),
        ]);
        return (await m.findOneByOrFail(RunEntity, { id: run.id }));
      });
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION && run.idempotencyKey) return null;
      throw error;
    }
  }

  findByIdempotencyKey(iss: string, sub: string, key: string): Promise<RunEntity | null> {
    return this.dataSource.getRepository(RunEntity).findOneBy({ userIss: iss, userSub: sub, idempotencyKey: key });
  }

  findById(id: string): Promise<RunEntity | null> {
    return this.dataSource.getRepository(RunEntity).findOneBy({ id });
  }

  /** The run and its nodes as of one snapshot, so a reader never sees a node ahead of its run. */
  findWithNodes(id: string): Promise<{ run: RunEntity | null; nodes: NodeRunEntity[] }> {
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const run = await m.findOneBy(RunEntity, { id });
      const nodes = run ? await m.getRepository(NodeRunEntity).find({ where: { runId: id }, order: { position: 'ASC' } }) : [];
      return { run, nodes };
    });
  }

  /** Newest first, keyset on (created_at, id). */
  async list(filter: RunListFilter): Promise<Page<RunEntity>> {
    const qb = this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('r')
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.owner) qb.andWhere('r.user_iss = :iss AND r.user_sub = :sub', filter.owner);
    if (filter.status) qb.andWhere('r.status = :status', { status: filter.status });
    if (filter.workflow) qb.andWhere('r.workflow_name = :workflow', { workflow: filter.workflow });
    if (filter.cursor) {
      const [at, id] = decodeTimeIdCursor(filter.cursor);
      qb.andWhere('(r.created_at, r.id) < (:at::timestamptz, :id::uuid)', { at, id });
    }
    const rows = await qb.getMany();
    return toPage(rows, filter.limit, (r) => [toCursorTime(r.createdAt), r.id]);
  }

  /**
   * Cancels a run that is not terminal: the run becomes `cancelled` at once, nodes not started (and
   * nodes waiting for a human) become `cancelled`, the subject token is deleted, open escalations
   * are closed (their ids are returned). Returns null when the run was already terminal.
   */
  async cancel(run: RunEntity, by: string): Promise<{ closedEscalations: string[] } | null> {
    return this.dataSource.transaction(async (m) => {
      const updated = await updateReturning(
        m,
        `UPDATE runs SET status = 'cancelled', finished_at = now(), updated_at = now(),
                subject_token_ciphertext = NULL, subject_token_key_id = NULL
         WHERE id = $1 AND status = ANY($2) RETURNING id`,
        [run.id, allowedFromRun(RunStatus.Cancelled)],
      );
      if (updated.length === 0) return null;
      await m.query(`UPDATE node_runs SET status = 'cancelled', updated_at = now() WHERE run_id = $1 AND status = ANY($2)`, [
        run.id,
        allowedFromNode(NodeStatus.Cancelled),
      ]);
      const context = { runId: run.id, workflow: run.workflowName, agentId: run.agentId, userId: run.userSub, issuer: run.userIss };
      const records: AuditRecord[] = [];
      const closedEscalations = await this.progress.closeOpenEscalations(m, context, 'run cancelled', records);
      records.push(runAudit(context, AuditOperation.RunCancelled, { details: { by } }));
      await this.audit.write(m, records);
      return { closedEscalations };
    });
  }
}

/** Postgres keeps microseconds; the cursor carries the exact value so no row is skipped or repeated. */
function toCursorTime(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}
