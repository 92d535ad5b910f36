import type { Caller } from '@baton/platform';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError, DomainErrorCode, InjectConfig, tenantConfig, type BatonConfig } from '@baton/platform';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../audit/audit-writer.js';
import { DefinitionCache } from '../definitions/definition-cache.js';
import { TenantExchangers } from '../engine/tenant-exchangers.js';
import {
  AuditOperation,
  NodeType,
  WORKFLOW_NAME_PATTERN,
  validateRunInput,
  type EffectiveNode,
  type Problem,
} from '../domain/index.js';
import { MAX_RUN_INPUT_BYTES } from '../runs/run.service.js';
import { applyProbeAnswer, isReady, planPreflight, type PreflightNode, type ProbeAnswer } from './preflight-plan.js';
import { preflightRequestSchema, type PreflightView } from './preflight.views.js';

/** The caller of a preflight, with the bearer token they called with (exchanged when `exchange: true`). */
export type PreflightCaller = Caller & { token: string };

/**
 * SPEC §12.2: what a run of a workflow would meet if the caller started it now, without starting
 * it. Narrowing is the engine's; with `exchange: true` each distinct exchange is made once for real
 * through the tenant's `TokenExchanger.probe` (no cache; the token is discarded and revoked inside the oauth lib
 * and never reaches this service). Nothing is stored but one `workflow.preflight` audit entry.
 */
@Injectable()
export class WorkflowPreflight {
  constructor(
    private readonly definitions: DefinitionCache,
    private readonly exchangers: TenantExchangers,
    private readonly audit: AuditWriter,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  async check(workflowName: string, body: unknown, caller: PreflightCaller): Promise<PreflightView> {
    const parsed = preflightRequestSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new DomainError(
        DomainErrorCode.InvalidInput,
        'The preflight request is malformed',
        parsed.error.issues.map((i) => ({ path: ['$', ...i.path].join('.'), message: i.message })),
      );
    }
    const { version, input, exchange } = parsed.data;
    const inputBytes = Buffer.byteLength(JSON.stringify(input));
    if (inputBytes > MAX_RUN_INPUT_BYTES) {
      throw new DomainError(
        DomainErrorCode.TooLarge,
        `The input is ${inputBytes} bytes; at most ${MAX_RUN_INPUT_BYTES} are accepted`,
      );
    }
    const stored = !WORKFLOW_NAME_PATTERN.test(workflowName)
      ? null
      : version
        ? await this.definitions.get(caller.tenant, workflowName, version)
        : await this.definitions.latest(caller.tenant, workflowName, true);
    if (!stored) {
      throw new DomainError(
        DomainErrorCode.NotFound,
        `Workflow ${workflowName}${version ? ` version ${version}` : ''} does not exist`,
      );
    }

    const problems: Problem[] = stored.definition.inputSchema
      ? validateRunInput(stored.definition.inputSchema, input, `${stored.name}@${stored.version}`)
      : [];
    const children = await this.childDefinitions(caller.tenant, stored.graph, this.config.maxDelegationDepth);
    const profiles = tenantConfig(this.config, caller.tenant).exchangeProfiles;
    const plan = planPreflight(stored.graph, caller.scopes, (profile) => profiles[profile]?.scopeSource, {
      childOf: (node) => children.get(childKey(node.workflow.name, node.workflow.version)),
      maxDepth: this.config.maxDelegationDepth,
    });
    let nodes = plan.nodes;
    if (exchange && plan.exchanges.length > 0) {
      const answers = new Map<string, ProbeAnswer>();
      await Promise.all(
        plan.exchanges.map(async (planned) => {
          const probe = await this.exchangers.of(caller.tenant).probe({
            profile: planned.profile,
            subjectToken: caller.token,
            audience: planned.audience,
            resource: planned.resource,
            scopes: planned.scopes,
            requiredScopes: [],
            agentId: stored.agentId ?? undefined,
          });
          const answer: ProbeAnswer = probe.error
            ? { ok: false, failure: probe.error }
            : { ok: true, scopes: probe.scopes ?? [] };
          for (const nodeId of planned.nodeIds) answers.set(nodeId, answer);
        }),
      );
      nodes = nodes.map((node: PreflightNode) => {
        const answer = answers.get(node.id);
        return answer ? applyProbeAnswer(node, answer) : node;
      });
    }
    const ready = isReady(nodes, problems);

    await this.audit.writeWithoutRun(this.dataSource.manager, caller.tenant, {
      operation: AuditOperation.WorkflowPreflight,
      success: ready,
      workflow: stored.name,
      agentId: stored.agentId,
      userId: caller.subject,
      issuer: caller.issuer,
      details: {
        version: stored.version,
        ready,
        exchange,
        verdicts: Object.fromEntries(nodes.map((n) => [n.id, n.verdict])),
      },
    });

    return {
      workflow: { name: stored.name, version: stored.version },
      ready,
      subjectToken: { expiresAt: caller.expiresAt.toISOString() },
      problems,
      nodes,
    };
  }

  /** SPEC §11: the nodes of every workflow the graph's `workflow` nodes call, level by level down to `levels`. */
  private async childDefinitions(
    tenant: string,
    graph: readonly EffectiveNode[],
    levels: number,
  ): Promise<Map<string, readonly EffectiveNode[]>> {
    const found = new Map<string, readonly EffectiveNode[]>();
    let frontier: readonly EffectiveNode[] = graph;
    for (let level = 0; level < levels && frontier.length > 0; level++) {
      const next: EffectiveNode[] = [];
      for (const node of frontier) {
        if (node.type !== NodeType.Workflow) continue;
        const key = childKey(node.workflow.name, node.workflow.version);
        if (found.has(key)) continue;
        const child = node.workflow.version
          ? await this.definitions.get(tenant, node.workflow.name, node.workflow.version)
          : await this.definitions.latest(tenant, node.workflow.name, true);
        found.set(key, child?.graph ?? []);
        next.push(...(child?.graph ?? []));
      }
      frontier = next;
    }
    return found;
  }
}

function childKey(name: string, version: number | undefined): string {
  return `${name}@${version ?? 'latest'}`;
}
