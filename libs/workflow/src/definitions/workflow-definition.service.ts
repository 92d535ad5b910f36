import { Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, InjectConfig, tenantConfig, type BatonConfig, type Page } from '@baton/platform';
import {
  WORKFLOW_NAME_PATTERN,
  calledWorkflowNames,
  validateDefinitionMeaning,
  validateDefinitionShape,
  diffScopeChanges,
  type ScopeChanges,
  type WorkflowDefinition,
} from '../domain/index.js';
import type { WorkflowVersionEntity } from '../persistence/workflow-version.entity.js';
import { NotWorkflowOwnerError, WorkflowRepository } from './workflow.repository.js';

/** A stored definition as the API shows it: the definition plus its version and creation time. */
export type StoredWorkflow = WorkflowDefinition & { version: number; createdAt: string };

/** One version with what it changed in the declared scopes (SPEC §12.3). */
export type WorkflowVersionView = StoredWorkflow & { scopeChanges: ScopeChanges };

/** Registers and reads workflow definitions (SPEC §3). */
@Injectable()
export class WorkflowDefinitionService {
  constructor(
    private readonly workflows: WorkflowRepository,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  /** Validates (shape → 400, meaning → 422, every problem listed) and stores the next version. */
  async register(
    body: unknown,
    author: { tenant: string; issuer: string; subject: string; scopes?: readonly string[] },
  ): Promise<WorkflowVersionView> {
    const shape = validateDefinitionShape(body);
    if (!shape.ok)
      throw new DomainError(DomainErrorCode.InvalidInput, 'The workflow definition is malformed', shape.problems);
    // SPEC §12.1: a workflow may name only its tenant's profiles, hosts and workflows.
    const tenant = tenantConfig(this.config, author.tenant);
    const problems = validateDefinitionMeaning(shape.value, {
      profiles: Object.keys(tenant.exchangeProfiles),
      allowedHosts: tenant.http.allowedHosts,
      // SPEC §9.1: Keycloak's standard token exchange takes no `resource`.
      profilesWithoutResource: Object.values(tenant.exchangeProfiles)
        .filter((p) => p.vendor === 'keycloak')
        .map((p) => p.name),
      baton: { audience: this.config.api.audience, scopes: Object.values(this.config.api.scopes) },
      audienceOrigins: tenant.http.audienceOrigins,
      workflowVersions: await this.latestVersionsOf(author.tenant, [
        ...calledWorkflowNames(shape.value),
        shape.value.name,
      ]),
    });
    if (problems.length > 0)
      throw new DomainError(DomainErrorCode.Unprocessable, 'The workflow definition is not valid', problems);
    const { stored, scopeChanges } = await this.workflows
      .createVersion({
        tenant: author.tenant,
        name: shape.value.name,
        description: shape.value.description ?? null,
        agentId: shape.value.agentId ?? null,
        definition: shape.value as unknown as Record<string, unknown>,
        createdByIss: author.issuer,
        createdBySub: author.subject,
        mayAddToAnyName: author.scopes?.includes(this.config.api.scopes.workflowsAdmin) ?? false,
      })
      .catch((error: unknown) => {
        if (!(error instanceof NotWorkflowOwnerError)) throw error;
        throw new DomainError(
          DomainErrorCode.Forbidden,
          `Workflow ${shape.value.name} belongs to another author; adding a version needs ${this.config.api.scopes.workflowsAdmin}`,
        );
      });
    return { ...toStoredWorkflow(stored), scopeChanges };
  }

  /** SPEC §11: the latest stored version of each named workflow that exists. */
  private async latestVersionsOf(tenant: string, names: readonly string[]): Promise<Map<string, number>> {
    const versions = new Map<string, number>();
    for (const name of new Set(names)) {
      const latest = await this.workflows.latestVersion(tenant, name);
      if (latest !== null) versions.set(name, latest);
    }
    return versions;
  }

  async getLatest(tenant: string, name: string): Promise<StoredWorkflow> {
    const found = WORKFLOW_NAME_PATTERN.test(name) ? await this.workflows.findLatest(tenant, name) : null;
    if (!found) throw new DomainError(DomainErrorCode.NotFound, `Workflow ${name} does not exist`);
    return toStoredWorkflow(found);
  }

  /** A given version, with its scope changes against the version before it. */
  async getVersion(tenant: string, name: string, version: number): Promise<WorkflowVersionView> {
    const found = WORKFLOW_NAME_PATTERN.test(name)
      ? await this.workflows.findVersionWithPrevious(tenant, name, version)
      : null;
    if (!found) throw new DomainError(DomainErrorCode.NotFound, `Workflow ${name} has no version ${version}`);
    const { stored, previous } = found;
    const scopeChanges = diffScopeChanges(
      previous && { version: previous.version, definition: previous.definition as unknown as WorkflowDefinition },
      stored.definition as unknown as WorkflowDefinition,
    );
    return { ...toStoredWorkflow(stored), scopeChanges };
  }

  async list(tenant: string, limit: number, cursor?: string): Promise<Page<StoredWorkflow>> {
    const page = await this.workflows.listLatest(tenant, limit, cursor);
    return { items: page.items.map(toStoredWorkflow), nextCursor: page.nextCursor };
  }
}

function toStoredWorkflow(row: WorkflowVersionEntity): StoredWorkflow {
  return {
    ...(row.definition as unknown as WorkflowDefinition),
    name: row.name,
    version: row.version,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
