import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeCursor, toPage, type Page } from '@baton/platform';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../audit/audit-writer.js';
import { AuditOperation, diffScopeChanges, type ScopeChanges, type WorkflowDefinition } from '../domain/index.js';
import { WorkflowVersionEntity } from '../persistence/workflow-version.entity.js';

export interface NewWorkflowVersion {
  tenant: string;
  name: string;
  description: string | null;
  agentId: string | null;
  definition: Record<string, unknown>;
  createdByIss: string;
  createdBySub: string;
  /** SPEC §16: the caller holds `workflowsAdmin`, so may add a version to a name someone else owns. */
  mayAddToAnyName?: boolean;
}

/** SPEC §16 workflow ownership: the name exists and its first author is someone else. */
export class NotWorkflowOwnerError extends Error {
  override readonly name = 'NotWorkflowOwnerError';
}

/** A version just stored, with what it changed in the declared scopes (SPEC §12.3). */
export interface CreatedWorkflowVersion {
  stored: WorkflowVersionEntity;
  scopeChanges: ScopeChanges;
}

/**
 * Workflow definitions and their immutable versions. Every method takes the tenant first: a name
 * means a workflow only within its tenant (SPEC §12.1), so no query can leave it out.
 */
@Injectable()
export class WorkflowRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
  ) {}

  /**
   * Stores the next version of `name` (1 when new). The version bump is one atomic upsert, which
   * bumps only when the caller owns the name (the author of its version 1) or may add to any name;
   * otherwise nothing changes and `NotWorkflowOwnerError` is thrown. In the same transaction: the
   * scope changes against the version before (read under the workflow row's lock the upsert holds)
   * and their `workflow.version_created` audit entry, so a version never exists without it.
   */
  async createVersion(input: NewWorkflowVersion): Promise<CreatedWorkflowVersion> {
    return this.dataSource.transaction(async (manager) => {
      const bumped: { latest_version: number }[] = await manager.query(
        `INSERT INTO workflows (tenant, name, latest_version) VALUES ($5, $1, 1)
         ON CONFLICT (tenant, name) DO UPDATE SET latest_version = workflows.latest_version + 1, updated_at = now()
         WHERE $2 OR EXISTS (SELECT 1 FROM workflow_versions o WHERE o.tenant = workflows.tenant AND o.name = workflows.name
                                AND o.version = 1 AND o.created_by_iss = $3 AND o.created_by_sub = $4)
         RETURNING latest_version`,
        [input.name, input.mayAddToAnyName === true, input.createdByIss, input.createdBySub, input.tenant],
      );
      if (bumped.length === 0) throw new NotWorkflowOwnerError(`workflow ${input.name} belongs to another author`);
      const [{ latest_version: version }] = bumped as [{ latest_version: number }];
      const rows: WorkflowVersionEntity[] = await manager.query(
        `INSERT INTO workflow_versions (tenant, name, version, description, agent_id, definition, created_by_iss, created_by_sub)
         VALUES ($8, $1, $2, $3, $4, $5, $6, $7)
         RETURNING tenant, name, version, description, agent_id AS "agentId", definition, created_by_iss AS "createdByIss",
                   created_by_sub AS "createdBySub", created_at AS "createdAt"`,
        [
          input.name,
          version,
          input.description,
          input.agentId,
          JSON.stringify(input.definition),
          input.createdByIss,
          input.createdBySub,
          input.tenant,
        ],
      );
      const stored = rows[0]!;
      const [previous] =
        version > 1
          ? ((await manager.query(
              `SELECT definition FROM workflow_versions WHERE tenant = $1 AND name = $2 AND version = $3`,
              [input.tenant, input.name, version - 1],
            )) as { definition: WorkflowDefinition }[])
          : [];
      const scopeChanges = diffScopeChanges(
        previous ? { version: version - 1, definition: previous.definition } : null,
        input.definition as unknown as WorkflowDefinition,
      );
      await this.audit.writeWithoutRun(manager, input.tenant, {
        operation: AuditOperation.WorkflowVersionCreated,
        success: true,
        workflow: input.name,
        agentId: input.agentId,
        userId: input.createdBySub,
        issuer: input.createdByIss,
        details: { version, scopeChanges },
      });
      return { stored, scopeChanges };
    });
  }

  /** A version with the one before it (one statement), for the scope changes a version view shows. */
  async findVersionWithPrevious(
    tenant: string,
    name: string,
    version: number,
  ): Promise<{ stored: WorkflowVersionEntity; previous: WorkflowVersionEntity | null } | null> {
    const rows = await this.dataSource
      .getRepository(WorkflowVersionEntity)
      .createQueryBuilder('v')
      .where('v.tenant = :tenant AND v.name = :name AND v.version IN (:version, :before)', {
        tenant,
        name,
        version,
        before: version - 1,
      })
      .getMany();
    const stored = rows.find((r) => r.version === version);
    if (!stored) return null;
    return { stored, previous: rows.find((r) => r.version === version - 1) ?? null };
  }

  findVersion(tenant: string, name: string, version: number): Promise<WorkflowVersionEntity | null> {
    return this.dataSource.getRepository(WorkflowVersionEntity).findOneBy({ tenant, name, version });
  }

  /** The latest version number of `name`, or null when there is no such workflow. */
  async latestVersion(tenant: string, name: string): Promise<number | null> {
    const [row] = await this.dataSource.query(`SELECT latest_version FROM workflows WHERE tenant = $1 AND name = $2`, [
      tenant,
      name,
    ]);
    return row ? Number(row.latest_version) : null;
  }

  async findLatest(tenant: string, name: string): Promise<WorkflowVersionEntity | null> {
    return this.dataSource
      .getRepository(WorkflowVersionEntity)
      .createQueryBuilder('v')
      .innerJoin('workflows', 'w', 'w.tenant = v.tenant AND w.name = v.name AND w.latest_version = v.version')
      .where('v.tenant = :tenant AND v.name = :name', { tenant, name })
      .getOne();
  }

  /** The latest version of each workflow, by name (keyset on name). */
  async listLatest(tenant: string, limit: number, cursor?: string): Promise<Page<WorkflowVersionEntity>> {
    const qb = this.dataSource
      .getRepository(WorkflowVersionEntity)
      .createQueryBuilder('v')
      .innerJoin('workflows', 'w', 'w.tenant = v.tenant AND w.name = v.name AND w.latest_version = v.version')
      .where('v.tenant = :tenant', { tenant })
      .orderBy('v.name', 'ASC')
      .limit(limit + 1);
    if (cursor) {
      const [after] = decodeCursor(cursor, 1);
      qb.andWhere('v.name > :after', { after: String(after) });
    }
    return toPage(await qb.getMany(), limit, (v) => [v.name]);
  }
}
