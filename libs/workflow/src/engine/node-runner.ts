import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectConfig, Tracing, type BatonConfig, type TraceSpan } from '@baton/platform';
import { randomUUID } from 'node:crypto';
import { DefinitionCache, type CachedDefinition } from '../definitions/definition-cache.js';
import { AuditOperation, NodeErrorCode, parseTraceparent } from '../domain/index.js';
import { EscalationEvents } from '../escalations/escalation-events.js';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import { RunEndCounter } from '../metrics/run-end-counter.js';
import { carryOpenedToken, type ClaimedNode } from './claimed-node.js';
import { NodeConcurrency } from './node-concurrency.js';
import { NodeExecutor } from './node-executor.js';
import { NodeLog, debugEnabled } from './node-log.js';
import { NodeQueue, type RunNodeJob } from './node-queue.js';
import type { NodeOutcome } from './node-outcome.js';
import { NodeRunStore, type NonSuccessOutcome } from './node-run.store.js';
import { TokenReleaser } from '../signals/token-releaser.js';

/**
 * Runs node jobs. A job claims its node, executes it (exchange, downstream call) and records the
 * outcome; when that success makes a next node ready, the same statement claims it for this job and
 * the worker goes straight on with it — a linear chain costs one round trip per step and never
 * waits in the queue behind other runs. Fan-out beyond the first ready node, retries, resumes and
 * recovery go through BullMQ. The worker's processor calls `run`.
 */
@Injectable()
export class NodeRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger(NodeRunner.name);
  /** Set when the worker stops: running chains finish their current node and queue the next. */
  private draining = false;
  private readonly debugLines: boolean;

  constructor(
    private readonly store: NodeRunStore,
    private readonly executor: NodeExecutor,
    private readonly definitions: DefinitionCache,
    private readonly queue: NodeQueue,
    private readonly escalationEvents: EscalationEvents,
    @InjectConfig() private readonly config: BatonConfig,
    private readonly metrics: EngineMetrics,
    private readonly runEnds: RunEndCounter,
    private readonly tracing: Tracing,
    private readonly releaser: TokenReleaser,
    private readonly concurrency: NodeConcurrency,
  ) {
    this.debugLines = debugEnabled(config.logLevel);
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }

  /** `carrier` is the BullMQ job id: every attempt this job runs is recorded under it. */
  async run(job: RunNodeJob, carrier: string): Promise<void> {
    this.concurrency.jobStarted();
    try {
      await this.runChain(job, carrier);
    } finally {
      this.concurrency.jobEnded();
    }
  }

  private async runChain(job: RunNodeJob, carrier: string): Promise<void> {
    let claim = await this.store.claim(job, carrier);
    if (!claim) {
      // Done already, a duplicate, a cancelled run — or this job was re-delivered after its worker
      // died mid-chain: then the attempts it had chained on to are still running under its id.
      for (const carried of await this.store.carriedBy(carrier)) {
        claim = await this.store.claim(carried, carrier);
        if (claim) break;
      }
    }
    while (claim) claim = await this.step(claim, carrier);
  }

  /** Executes one claimed attempt and records it; returns the next node when this job goes on with one. */
  private async step(claim: ClaimedNode, carrier: string): Promise<ClaimedNode | null> {
    const definition = await this.definitions.get(claim.run.tenant, claim.run.workflowName, claim.run.workflowVersion);
    const node = definition?.nodes.get(claim.nodeId);
    const endTimer = this.metrics.nodeDuration.startTimer({ type: node?.type ?? 'unknown' });
    // The node's span continues the run's trace (its stored traceparent: the caller's, or the api's run start span).
    const span = this.tracing.start('baton.node', parseTraceparent(claim.run.traceparent ?? undefined), {
      'baton.run.id': claim.runId,
      'baton.node.id': claim.nodeId,
      'baton.node.type': node?.type ?? 'unknown',
      'baton.node.attempt': claim.attempt,
      'baton.workflow': claim.run.workflowName,
    });
    const log = new NodeLog(
      this.logger,
      { runId: claim.runId, nodeId: claim.nodeId, attempt: claim.attempt },
      this.debugLines,
    );
    log.debug('node started', () => ({ type: node?.type ?? 'unknown' }));
    const started = performance.now();
    const outcome = await this.execute(claim, definition, span, log);
    log.debug('node finished', () => ({
      outcome: outcome.kind,
      durationMs: Math.round(performance.now() - started),
    }));
    endTimer({ outcome: outcome.kind });
    span.set({ 'baton.node.outcome': outcome.kind });
    span.end(outcome.kind === 'failed' ? { ok: false, message: outcome.error.code } : { ok: true });
    this.count(outcome);
    // A workflow node started its child run: nothing to record; the child's end settles the node (SPEC §11).
    if (outcome.kind === 'delegated') return null;
    if (outcome.kind === 'succeeded') {
      const handedOver = performance.now();
      const completion = await this.store.complete(claim, {
        output: outcome.output,
        grantedScopes: outcome.grantedScopes,
        audits: outcome.audits,
        successors: definition?.plan.successors.get(claim.nodeId) ?? [],
        carrier: this.draining ? null : carrier,
      });
      const roundTripMs = performance.now() - handedOver;
      this.concurrency.record(roundTripMs);
      this.metrics.completionRoundTrip.observe(roundTripMs / 1000);
      // Nothing started next: this may have been the run's last node (counted at scrape time).
      if (completion.settled && !completion.next && completion.queued.length === 0) {
        this.runEnds.note(claim.runId, claim.nodeId);
        this.releaser.runMayHaveEnded();
      }
      await this.queue.enqueueAfterCommit(completion.queued);
      if (completion.next) carryOpenedToken(claim, completion.next);
      return completion.next;
    }

    const settlement = await this.store.settle(claim, this.nonSuccess(outcome), outcome.grantedScopes, outcome.audits);
    if (!settlement.settled) return null;
    if (settlement.kind === 'failed') {
      this.runEnds.note(claim.runId, claim.nodeId);
      this.releaser.runMayHaveEnded();
    }
    if (settlement.openedEscalation && outcome.kind === 'escalate')
      this.metrics.escalationsOpened.inc({ reason: outcome.reason });
    if (outcome.kind === 'failed') {
      // Operators need to see misconfiguration (a wrong client secret) without reading audit rows.
      log.warn('node failed', { code: outcome.error.code, reason: outcome.error.message });
    }
    if (settlement.kind === 'retry' && outcome.kind === 'retry') {
      await this.queue.enqueueAfterCommit([{ runId: claim.runId, nodeId: claim.nodeId, attempt: claim.attempt + 1 }], {
        delayMs: outcome.delayMs,
      });
    }
    if (settlement.openedEscalation)
      await this.escalationEvents.opened(settlement.openedEscalation.id, settlement.openedEscalation.expiresAt);
    if (settlement.closedEscalations.length > 0) await this.escalationEvents.resolved(settlement.closedEscalations);
    return null;
  }

  private async execute(
    claim: ClaimedNode,
    definition: CachedDefinition | null,
    span: TraceSpan,
    log: NodeLog,
  ): Promise<NodeOutcome> {
    const node = definition?.nodes.get(claim.nodeId);
    if (!node) {
      return {
        kind: 'failed',
        error: { code: NodeErrorCode.InternalError, message: `node ${claim.nodeId} is not in the workflow` },
        grantedScopes: null,
        audits: [],
      };
    }
    try {
      return await this.executor.execute(claim, node, undefined, span);
    } catch (error) {
      // A bug or an unexpected library error: record it on the node rather than loop forever.
      log.error('node execution failed unexpectedly', { err: error });
      return {
        kind: 'failed',
        error: { code: NodeErrorCode.InternalError, message: 'unexpected error while executing the node' },
        grantedScopes: null,
        audits: [],
      };
    }
  }

  private nonSuccess(outcome: Exclude<NodeOutcome, { kind: 'succeeded' | 'delegated' }>): NonSuccessOutcome {
    switch (outcome.kind) {
      case 'retry':
        return { kind: 'retry', error: outcome.error, delayMs: outcome.delayMs };
      case 'failed':
        return { kind: 'failed', error: outcome.error };
      case 'escalate':
        return {
          kind: 'escalate',
          escalation: {
            id: randomUUID(),
            reason: outcome.reason,
            detail: outcome.detail,
            ...(outcome.prompt !== undefined && { prompt: outcome.prompt }),
          },
          ttlSeconds: this.config.escalationTtlSeconds,
        };
    }
  }

  private count(outcome: NodeOutcome): void {
    this.metrics.nodeSteps.inc({ outcome: outcome.kind });
    for (const record of outcome.audits) {
      if (record.operation === AuditOperation.TokenExchanged) {
        this.metrics.exchanges.inc({
          result: record.success ? 'success' : 'failure',
          cached: String(record.details?.cached === true),
        });
      }
    }
  }
}
