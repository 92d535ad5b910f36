import { Injectable } from '@nestjs/common';
import { InjectConfig, type BatonConfig } from '@baton/platform';
import { SubjectTokenCipher, type ActorChainLink } from '@baton/oauth';
import type { AuditRecord } from '../audit/audit-writer.js';
import { DefinitionCache } from '../definitions/definition-cache.js';
import {
  AuditOperation,
  EscalationReason,
  NodeErrorCode,
  childRunId,
  childRunResult,
  decideParentStart,
  delegatedScopes,
  renderTemplateValue,
  scopesBeyondCeiling,
  validateRunInput,
  type EffectiveSubWorkflowNode,
  type RunStatus,
  type TemplateScope,
} from '../domain/index.js';
import { RunStore } from '../runs/run.store.js';
import type { ClaimedNode } from './claimed-node.js';
import { NodeQueue } from './node-queue.js';
import type { NodeError, NodeOutcome } from './node-outcome.js';

/** What the executor's attempt offers a `workflow` node (NodeExecutor's Attempt has this shape). */
export interface WorkflowNodeAttempt {
  readonly claim: ClaimedNode;
  readonly scope: TemplateScope;
  readonly audits: AuditRecord[];
  audit(operation: AuditRecord['operation'], fields?: Partial<Omit<AuditRecord, 'operation'>>): void;
  succeed(output: unknown): NodeOutcome;
  fail(error: NodeError): NodeOutcome;
  escalate(reason: EscalationReason, detail: string): NodeOutcome;
}

/**
 * Executes a `workflow` node (SPEC §11): checks depth and the ceiling against the user, renders the
 * child's input, resolves its version, refuses a child that needs scopes beyond the ceiling, then
 * starts the child run and leaves the node `running` (outcome `delegated`: nothing to record). The
 * child's end settles the node in the child's own transaction (the tree trigger of migration
 * 1733300000000), never this code.
 *
 * Unlike other nodes this one writes to the database itself (the child run): starting it is the
 * node's side effect, as a downstream call is an http node's. It is idempotent: the child's id is
 * derived from the attempt, so an attempt executed again (a crash, the sweeper) finds its child.
 */
@Injectable()
export class WorkflowNodeExecutor {
  /** Runs' delegations and ancestor agents, which never change: asked once per run and process. */
  private readonly delegations = new RunFacts<string[][]>();
  private readonly ancestors = new RunFacts<(string | null)[]>();

  constructor(
    private readonly runs: RunStore,
    private readonly definitions: DefinitionCache,
    private readonly cipher: SubjectTokenCipher,
    private readonly queue: NodeQueue,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  async execute(attempt: WorkflowNodeAttempt, node: EffectiveSubWorkflowNode): Promise<NodeOutcome> {
    const { claim } = attempt;
    const existing = await this.runs.childOf(claim.runId, claim.nodeId, claim.attempt);
    if (existing) return this.settledBy(attempt, existing);

    const position = await this.runs.treePosition(claim.runId);
    if (!position) return attempt.fail({ code: NodeErrorCode.InternalError, message: `run ${claim.runId} has no row` });
    const oauth = node.oauth!; // required on workflow nodes by validation
    const profile = this.config.tenants[claim.run.tenant]?.exchangeProfiles[oauth.profile];
    const decision = decideParentStart({
      node: oauth,
      depth: position.depth,
      maxDepth: this.config.maxDelegationDepth,
      userScopes: claim.run.userScopes,
      ceilings: position.delegation,
      userScopesKnown: profile?.scopeSource !== 'authorization-server',
    });
    if (decision.kind === 'depth_exceeded')
      return attempt.fail({
        code: NodeErrorCode.DelegationDepthExceeded,
        message: `run depth ${decision.depth} is at maxDelegationDepth ${decision.maxDepth}; it cannot start a child`,
      });
    if (decision.kind === 'insufficient_scope') {
      attempt.audit(AuditOperation.ScopeNarrowed, {
        success: false,
        scopes: null,
        target: `workflow ${node.workflow.name}`,
        error: 'insufficient_scope',
        details: { missing: decision.missing },
      });
      return attempt.escalate(EscalationReason.InsufficientScope, `the user lacks ${decision.missing.join(' ')}`);
    }

    const input = node.workflow.input === undefined ? {} : renderTemplateValue(node.workflow.input, attempt.scope);
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      return attempt.fail({ code: NodeErrorCode.TemplateError, message: 'workflow.input must render to an object' });
    // Latest at the moment the child starts (asked of the database, not a cache), then pinned on the child.
    const child = node.workflow.version
      ? await this.definitions.get(claim.run.tenant, node.workflow.name, node.workflow.version)
      : await this.definitions.latest(claim.run.tenant, node.workflow.name, true);
    if (!child)
      return attempt.fail({
        code: NodeErrorCode.ChildRunFailed,
        message: `workflow ${node.workflow.name}${node.workflow.version ? ` version ${node.workflow.version}` : ''} does not exist`,
      });
    if (child.definition.inputSchema) {
      const problems = validateRunInput(child.definition.inputSchema, input, `${child.name}@${child.version}`);
      if (problems.length > 0)
        return attempt.fail({
          code: NodeErrorCode.TemplateError,
          message: `the input does not match ${child.name}@${child.version}'s inputSchema: ${problems
            .map((p) => `${p.path} ${p.message}`)
            .join('; ')}`,
        });
    }
    const beyond = scopesBeyondCeiling(decision.ceiling, child.graph);
    if (beyond.length > 0)
      return attempt.fail({
        code: NodeErrorCode.DelegationExceeded,
        message: `${child.name}@${child.version} requires ${beyond.join(' ')}, outside this node's ceiling`,
        scopes: beyond,
      });

    const id = childRunId(claim.runId, claim.nodeId, claim.attempt);
    const delegation = [...position.delegation, decision.ceiling];
    const user = { issuer: claim.run.userIss, subject: claim.run.userSub };
    // One subject token for the tree: the parent's, sealed again for the child's id (the seal binds it).
    const sealed = claim.run.subjectToken
      ? this.cipher.seal(this.cipher.open(claim.run.subjectToken, { runId: claim.runId, ...user }), {
          runId: id,
          ...user,
        })
      : null;
    const definition = await this.definitions.get(claim.run.tenant, claim.run.workflowName, claim.run.workflowVersion);
    const nodes = child.graph.map((n) => ({
      id: n.id,
      type: n.type,
      queued: n.dependsOn.length === 0,
      refs: child.plan.refs.get(n.id) ?? [],
    }));
    const started = await this.runs.startChild({
      id,
      parentRunId: claim.runId,
      parentNodeId: claim.nodeId,
      parentAttempt: claim.attempt,
      workflowName: child.name,
      workflowVersion: child.version,
      agentId: child.agentId,
      input: input as Record<string, unknown>,
      userScopes: delegatedScopes(claim.run.userScopes, delegation),
      subjectToken: sealed,
      delegation,
      parentSuccessors: definition?.plan.successors.get(claim.nodeId) ?? [],
      nodes,
    });
    if (started === 'created')
      await this.queue.enqueueAfterCommit(
        nodes.filter((n) => n.queued).map((n) => ({ runId: id, nodeId: n.id, attempt: 1 })),
        { start: true },
      );
    return delegated(attempt, id);
  }

  /** The chain of ceilings a run narrows within (empty at the root). */
  ceilingsOf(runId: string): Promise<string[][]> {
    return this.delegations.get(runId, () => this.runs.treePosition(runId).then((p) => p?.delegation ?? []));
  }

  /**
   * SPEC §9.3: the parties a child run's agent acts for — its ancestors' agents, nearest parent
   * first, as the actor token's nested `act` (`baton` for a workflow without `agentId`, as the
   * actor `sub` is); empty at the root.
   */
  async actorChainOf(runId: string, actorIssuer: string): Promise<ActorChainLink[]> {
    const agents = await this.ancestors.get(runId, () => this.runs.ancestorAgents(runId));
    return agents.map((agent) => ({ sub: agent || 'baton', iss: actorIssuer }));
  }

  /** The attempt's child exists already (this attempt is executed again): its end is the node's, or it still runs. */
  private settledBy(
    attempt: WorkflowNodeAttempt,
    child: { id: string; status: RunStatus; outputs: Record<string, unknown> },
  ): NodeOutcome {
    const result = childRunResult(child);
    switch (result.kind) {
      case 'running':
        return delegated(attempt, child.id);
      case 'succeeded':
        return attempt.succeed(result.output);
      case 'failed':
        return attempt.fail(result.error);
    }
  }
}

const MAX_CACHED_RUN_FACTS = 1000;

/** Per-run facts fixed at the run's start, loaded once per process (bounded, oldest out; a failed load is forgotten). */
class RunFacts<T> {
  private readonly byRun = new Map<string, Promise<T>>();

  get(runId: string, load: () => Promise<T>): Promise<T> {
    let found = this.byRun.get(runId);
    if (!found) {
      found = load();
      found.catch(() => this.byRun.delete(runId));
      this.byRun.set(runId, found);
      if (this.byRun.size > MAX_CACHED_RUN_FACTS) this.byRun.delete(this.byRun.keys().next().value!);
    }
    return found;
  }
}

function delegated(attempt: WorkflowNodeAttempt, childRunId: string): NodeOutcome {
  return { kind: 'delegated', childRunId, grantedScopes: null, audits: attempt.audits };
}
