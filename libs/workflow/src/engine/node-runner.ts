import { Injectable, Logger } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AuditOperation, NodeErrorCode } from '../domain/index.js';
import { EscalationEvents } from '../escalations/escalation-events.js';
import { DefinitionCache } from './definition-cache.js';
import { NodeExecutor } from './node-executor.js';
import { NodeQueue, type RunNodeJob } from './node-queue.js';
import type { NodeOutcome } from './node-outcome.js';
import { NodeTransitions } from './node-transitions.js';

/**
 * Runs one node job: claim (transaction 1), execute (exchange, downstream call), settle
 * (transaction 2), then put what became ready on the schedule. The worker's processor calls this.
 */
@Injectable()
export class NodeRunner {
  private readonly logger = new Logger(NodeRunner.name);
  private readonly steps: Counter<'outcome'>;
  private readonly escalations: Counter<'reason'>;
  private readonly exchanges: Counter<'result' | 'cached'>;

  constructor(
    private readonly transitions: NodeTransitions,
    private readonly executor: NodeExecutor,
    private readonly definitions: DefinitionCache,
    private readonly queue: NodeQueue,
    private readonly escalationEvents: EscalationEvents,
    registry: Registry,
  ) {
    this.steps = new Counter({ name: 'baton_node_steps_total', help: 'Node attempts by outcome', labelNames: ['outcome'], registers: [registry] });
    this.escalations = new Counter({ name: 'baton_escalations_opened_total', help: 'Escalations opened by reason', labelNames: ['reason'], registers: [registry] });
    this.exchanges = new Counter({ name: 'baton_token_exchanges_total', help: 'RFC 8693 exchanges by result, and whether served from the cache', labelNames: ['result', 'cached'], registers: [registry] });
  }

  async run(job: RunNodeJob, signal?: AbortSignal): Promise<void> {
    const claim = await this.transitions.claim(job);
    if (!claim) return; // already done, cancelled, or a duplicate job
    const { nodes, graph } = await this.definitions.get(claim.run.workflowName, claim.run.workflowVersion);
    const node = nodes.get(job.nodeId);
    let outcome: NodeOutcome;
    if (!node) {
      outcome = { kind: 'failed', error: { code: NodeErrorCode.InternalError, message: `node ${job.nodeId} is not in the workflow` }, grantedScopes: null, audits: [] };
    } else {
      try {
        outcome = await this.executor.execute(claim, node, signal);
      } catch (error) {
        // A bug or an unexpected library error: record it on the node rather than loop forever.
        this.logger.error({ err: error, runId: job.runId, nodeId: job.nodeId }, 'node execution failed unexpectedly');
        outcome = { kind: 'failed', error: { code: NodeErrorCode.InternalError, message: 'unexpected error while executing the node' }, grantedScopes: null, audits: [] };
      }
    }
    const followUp = await this.transitions.settle(claim, outcome, graph);
    this.steps.inc({ outcome: outcome.kind });
    if (outcome.kind === 'failed') {
      // Operators need to see misconfiguration (a wrong client secret) without reading audit rows.
      this.logger.warn({ runId: job.runId, nodeId: job.nodeId, attempt: job.attempt, code: outcome.error.code, reason: outcome.error.message }, 'node failed');
    }
    if (outcome.kind === 'escalate') this.escalations.inc({ reason: outcome.reason });
    for (const record of outcome.audits) {
      if (record.operation === AuditOperation.TokenExchanged) {
        this.exchanges.inc({ result: record.success ? 'success' : 'failure', cached: String(record.details?.cached === true) });
      }
    }
    await this.queue.enqueueAfterCommit(followUp.jobs, followUp.delayMs);
    if (followUp.openedEscalation) await this.escalationEvents.opened(followUp.openedEscalation.id, followUp.openedEscalation.expiresAt);
    if (followUp.closedEscalations?.length) await this.escalationEvents.resolved(followUp.closedEscalations);
  }
}
