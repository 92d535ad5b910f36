import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig, NO_SPAN, type BatonConfig, type TraceSpan } from '@baton/platform';
import {
  SubjectTokenCipher,
  TokenExchangeError,
  exchangeErrorLabel,
  scopesToRequest,
  subjectTokenDigest,
  type ExchangeRequest,
} from '@baton/oauth';
import type { AuditRecord } from '../audit/audit-writer.js';
import {
  AuditOperation,
  EscalationReason,
  NodeErrorCode,
  RenderBudget,
  childTraceparent,
  narrowWithinDelegation,
  parseTraceparent,
  TemplateError,
  renderTemplateString,
  renderTemplateValue,
  renderUrl,
  retryDelayMs,
  stringifyTemplateValue,
  type EffectiveApprovalNode,
  type EffectiveHandlerNode,
  type EffectiveHttpNode,
  type EffectiveNode,
  type TemplateScope,
} from '../domain/index.js';
import { auditTarget } from '../nodes/http/audit-target.js';
import { callHttp } from '../nodes/http/http-caller.js';
import { parseAllowedHosts } from '../domain/definition/allowed-host.js';
import { refuseCallDestination } from '../nodes/http/call-destination.js';
import { DOWNSTREAM_AGENT_OPTIONS } from '../nodes/http/downstream-agent.js';
import { createGuardedAgent } from '../nodes/http/guarded-lookup.js';
import type { HttpNodeRequest } from '../nodes/http/http-node-request.js';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import { runAudit } from '../runs/run-audit.js';
import { RunStore } from '../runs/run.store.js';
import { RevokedSubjectTokens } from '../signals/revoked-subject-tokens.js';
import { HandlerError } from './handlers/node-handler.js';
import { HandlerRegistry } from './handlers/handler-registry.js';
import { auditContext, openedSubjectToken, type ClaimedNode } from './claimed-node.js';
import type { AttemptVerdict } from './decisions/attempt-verdict.js';
import { decideExchangeFailure } from './decisions/exchange-failure-decision.js';
import { decideHttpOutcome } from './decisions/http-outcome-decision.js';
import type { NodeError, NodeOutcome } from './node-outcome.js';
import { TenantExchangers } from './tenant-exchangers.js';
import { WorkflowNodeExecutor } from './workflow-node.js';

/** Where a tenant's nodes may call (SPEC §16 per tenant, §12.1), and the guarded agent that enforces it. */
interface TenantDestinations {
  entries: ReturnType<typeof parseAllowedHosts>;
  audienceOrigins?: Record<string, string[]>;
  agent: ReturnType<typeof createGuardedAgent>;
}

/** A token obtained for this attempt, with what is needed to drop it and ask again. */
interface TokenLease {
  accessToken: string;
  request: ExchangeRequest;
  /** `subjectTokenDigest` of the subject token it was exchanged from: revoked by a security event? */
  subjectDigest: string;
}

/** Either a token, or the outcome that ends the attempt (escalation, failure, retry). */
type TokenStep = { token: TokenLease } | { outcome: NodeOutcome };

/**
 * Executes one attempt of one node, exactly SPEC §4 steps 1–4: subject token check, scope
 * narrowing, RFC 8693 exchange, use. It performs HTTP and exchange I/O but no database writes: it
 * returns a NodeOutcome (with the audit records to write) that NodeRunStore records.
 */
@Injectable()
export class NodeExecutor implements OnModuleDestroy {
  /** Issue 10: every downstream connection goes through the destination guard of its run's tenant. */
  private readonly destinations: ReadonlyMap<string, TenantDestinations>;

  constructor(
    private readonly exchangers: TenantExchangers,
    private readonly cipher: SubjectTokenCipher,
    private readonly handlers: HandlerRegistry,
    @InjectConfig() private readonly config: BatonConfig,
    private readonly metrics: EngineMetrics,
    private readonly revoked: RevokedSubjectTokens,
    private readonly runs: RunStore,
    private readonly workflowNodes: WorkflowNodeExecutor,
  ) {
    // SPEC §10.3: what was exchanged from a revoked subject token is dropped in every worker.
    revoked.onRevoked((digests) => {
      for (const digest of digests) exchangers.dropSubject(digest);
    });
    this.destinations = new Map(
      Object.values(config.tenants).map((tenant) => {
        const entries = parseAllowedHosts(tenant.http.allowedHosts);
        const agent = createGuardedAgent(entries, DOWNSTREAM_AGENT_OPTIONS);
        return [tenant.name, { entries, audienceOrigins: tenant.http.audienceOrigins, agent }];
      }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.destinations.values()].map((d) => d.agent.close()));
  }

  /** `span` is the attempt's node span (NodeRunner's); exchanges and downstream calls are its children. */
  async execute(
    claim: ClaimedNode,
    node: EffectiveNode,
    signal?: AbortSignal,
    span: TraceSpan = NO_SPAN,
  ): Promise<NodeOutcome> {
    const attempt = new Attempt(claim, node, span);
    try {
      switch (node.type) {
        case 'approval':
          return this.askForApproval(attempt, node);
        case 'http':
          return await this.runHttp(attempt, node, signal);
        case 'handler':
          return await this.runHandler(attempt, node, signal);
        case 'workflow':
          return await this.workflowNodes.execute(attempt, node);
      }
    } catch (error) {
      if (error instanceof TemplateError)
        return attempt.fail({ code: NodeErrorCode.TemplateError, message: error.message });
      throw error;
    }
  }

  private askForApproval(attempt: Attempt, node: EffectiveApprovalNode): NodeOutcome {
    const prompt = stringifyTemplateValue(renderTemplateString(node.approval.prompt, attempt.scope));
    return attempt.escalate(EscalationReason.ApprovalRequired, 'approval required', prompt);
  }

  private async runHttp(attempt: Attempt, node: EffectiveHttpNode, signal?: AbortSignal): Promise<NodeOutcome> {
    const request: HttpNodeRequest = {
      method: node.request.method,
      url: renderUrl(node.request.url, attempt.scope),
      headers: node.request.headers && stringValues(renderTemplateValue(node.request.headers, attempt.scope)),
      query: node.request.query && stringValues(renderTemplateValue(node.request.query, attempt.scope)),
      body: node.request.body === undefined ? undefined : renderTemplateValue(node.request.body, attempt.scope),
    };
    const target = auditTarget(request.method, request.url);
    const destinations = this.destinations.get(attempt.claim.run.tenant);
    if (!destinations)
      return attempt.fail({
        code: NodeErrorCode.DestinationNotAllowed,
        message: 'the run belongs to no configured tenant',
      });
    const refused = refuseCallDestination(
      request.url,
      node.oauth && (node.oauth.audience ?? node.oauth.resource),
      destinations,
    );
    if (refused) return attempt.fail({ code: refused.code, message: refused.message });

    let token: TokenLease | undefined;
    if (node.oauth) {
      const step = await this.acquireToken(attempt, node);
      if ('outcome' in step) return step.outcome;
      token = step.token;
    }

    // The run's trace continues into each call (SPEC §16), as a child span of the caller's.
    const trace = parseTraceparent(attempt.claim.run.traceparent ?? undefined);
    // Call; on a first 401 exchange once more and call once more (SPEC §4 step 4).
    for (let refreshed = false; ; refreshed = true) {
      if (token) {
        const revoked = this.revokedOutcome(attempt, token.subjectDigest, target);
        if (revoked) return revoked;
      }
      // With tracing on, the call is a span of its own and its context is what the downstream sees.
      const callSpan = attempt.span.child(`HTTP ${request.method}`, httpSpanAttributes(request), 'client');
      const result = await callHttp(request, {
        accessToken: token?.accessToken,
        idempotencyKey: attempt.idempotencyKey,
        traceparent: callSpan.traceparent() ?? (trace ? childTraceparent(trace) : undefined),
        timeoutMs: node.timeoutMs,
        signal,
        dispatcher: destinations.agent,
      });
      if (result.kind === 'response') {
        callSpan.set({ 'http.response.status_code': result.status });
        callSpan.end(result.status < 400 ? { ok: true } : { ok: false, message: `HTTP ${result.status}` });
      } else callSpan.end({ ok: false, message: result.kind });
      const { audits, decision } = decideHttpOutcome(result, {
        target,
        withToken: token !== undefined,
        refreshed,
        timeoutMs: node.timeoutMs,
        grantedScopes: attempt.grantedScopes,
      });
      for (const audit of audits)
        attempt.audit(audit.operation as AuditOperation, { target, scopes: attempt.grantedScopes, ...audit });
      if (decision.kind === 'succeed') return attempt.succeed(decision.output);
      if (decision.kind !== 'refresh_token') return attempt.conclude(decision);
      this.exchangers.of(attempt.claim.run.tenant).invalidate(token!.request);
      const step = await this.exchange(attempt, token!.request, token!.subjectDigest);
      if ('outcome' in step) return step.outcome;
      token = step.token;
    }
  }

  private async runHandler(attempt: Attempt, node: EffectiveHandlerNode, signal?: AbortSignal): Promise<NodeOutcome> {
    const handler = this.handlers.get(node.handler);
    if (!handler)
      return attempt.fail({
        code: NodeErrorCode.UnknownHandler,
        message: `no handler named ${node.handler} is registered in this worker`,
      });
    const input = node.input === undefined ? undefined : renderTemplateValue(node.input, attempt.scope);
    let token: TokenLease | undefined;
    if (node.oauth) {
      const step = await this.acquireToken(attempt, node);
      if ('outcome' in step) return step.outcome;
      token = step.token;
    }
    if (token) {
      const revoked = this.revokedOutcome(attempt, token.subjectDigest, `handler ${node.handler}`);
      if (revoked) return revoked;
    }
    const timeout = AbortSignal.timeout(node.timeoutMs);
    try {
      const output = await handler.run({
        runId: attempt.claim.runId,
        nodeId: attempt.claim.nodeId,
        attempt: attempt.claim.attempt,
        idempotencyKey: attempt.idempotencyKey,
        input,
        accessToken: token?.accessToken,
        grantedScopes: attempt.grantedScopes,
        user: { issuer: attempt.claim.run.userIss, subject: attempt.claim.run.userSub },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      if (token)
        attempt.audit(AuditOperation.TokenUsed, { target: `handler ${node.handler}`, scopes: attempt.grantedScopes });
      return attempt.succeed(output ?? null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (timeout.aborted)
        return attempt.retryOrFail({
          code: NodeErrorCode.Timeout,
          message: `handler ${node.handler} did not finish within ${node.timeoutMs} ms`,
        });
      if (error instanceof HandlerError && error.retryable)
        return attempt.retryOrFail({ code: NodeErrorCode.HandlerError, message });
      return attempt.fail({ code: NodeErrorCode.HandlerError, message });
    }
  }

  /** Steps 1–3 for a node with `oauth`. */
  private async acquireToken(attempt: Attempt, node: EffectiveHttpNode | EffectiveHandlerNode): Promise<TokenStep> {
    const oauth = node.oauth!;
    const profile = this.config.tenants[attempt.claim.run.tenant]?.exchangeProfiles[oauth.profile];
    if (!profile)
      return {
        outcome: attempt.fail({
          code: NodeErrorCode.ExchangeFailed,
          message: `exchange profile ${oauth.profile} is not configured`,
        }),
      };
    const target = oauth.audience ?? oauth.resource ?? null;
    const { run } = attempt.claim;

    // A security event deleted the stored token (SPEC §10.3): the node escalates without asking the
    // AS, after narrowing, so the audit entry names the scopes it would have asked for.
    const revocation = run.subjectToken ? null : await this.runs.subjectTokenRevocation(attempt.claim.runId);

    // 1. Subject token check: no exchange with a token about to expire.
    const expiresAt = run.subjectTokenExpiresAt ? new Date(run.subjectTokenExpiresAt) : null;
    if (
      !revocation &&
      (!run.subjectToken || !expiresAt || expiresAt.getTime() <= Date.now() + profile.expirySkewSeconds * 1000)
    ) {
      attempt.audit(AuditOperation.TokenExpired, {
        success: false,
        target,
        error: 'subject_token_expired',
        details: { expiresAt: expiresAt?.toISOString() ?? null },
      });
      return {
        outcome: attempt.escalate(
          EscalationReason.TokenExpired,
          `the user's token expired at ${expiresAt?.toISOString() ?? 'an unknown time'}`,
        ),
      };
    }

    // 2. Scope narrowing: granted = required ∪ (optional ∩ user). A child run's user scopes are
    //    already within its ceilings (SPEC §11); when the user's scopes are not known up front, the
    //    ceilings still bound what is asked.
    const { granted, missing } =
      profile.scopeSource === 'authorization-server'
        ? narrowWithinDelegation({
            node: oauth,
            userScopes: run.userScopes,
            ceilings: await this.workflowNodes.ceilingsOf(attempt.claim.runId),
            userScopesKnown: false,
          })
        : scopesToRequest({
            requiredScopes: oauth.requiredScopes,
            optionalScopes: oauth.optionalScopes,
            userScopes: run.userScopes,
            scopeSource: profile.scopeSource,
          });
    if (missing.length > 0) {
      attempt.audit(AuditOperation.ScopeNarrowed, {
        success: false,
        scopes: granted,
        target,
        error: 'insufficient_scope',
        details: { missing },
      });
      return { outcome: attempt.escalate(EscalationReason.InsufficientScope, `the user lacks ${missing.join(' ')}`) };
    }
    attempt.grantedScopes = granted;
    attempt.audit(AuditOperation.ScopeNarrowed, {
      scopes: granted,
      target,
      details: {
        required: oauth.requiredScopes,
        optional: oauth.optionalScopes,
        scopeSource: profile.scopeSource ?? 'token',
      },
    });

    if (revocation) return { outcome: this.escalateRevoked(attempt, revocation.eventType, target, revocation.jti) };

    // 3. Exchange exactly the granted scopes — unless a security event revoked the subject token
    //    after this attempt read it.
    const { token: subjectToken, digest: subjectDigest } = openedSubjectToken(attempt.claim, (sealed) => {
      const token = this.cipher.open(sealed, { runId: attempt.claim.runId, issuer: run.userIss, subject: run.userSub });
      return { token, digest: subjectTokenDigest(token) };
    });
    const revoked = this.revokedOutcome(attempt, subjectDigest, target);
    if (revoked) return { outcome: revoked };
    const request: ExchangeRequest = {
      profile: oauth.profile,
      subjectToken,
      audience: oauth.audience,
      resource: oauth.resource,
      scopes: granted,
      requiredScopes: [...oauth.requiredScopes],
      agentId: run.agentId ?? undefined,
      runId: attempt.claim.runId,
      // SPEC §9.3 in a sub-workflow: the actor token names the parents' agents in a nested `act`.
      ...(profile.actor && {
        actorChain: await this.workflowNodes.actorChainOf(attempt.claim.runId, profile.actor.issuer),
      }),
    };
    return this.exchange(attempt, request, subjectDigest);
  }

  /** The `token_revoked` escalation when a security event revoked this subject token; else null. */
  private revokedOutcome(attempt: Attempt, subjectDigest: string, target: string | null): NodeOutcome | null {
    const eventType = this.revoked.revokedBy(subjectDigest);
    return eventType === undefined ? null : this.escalateRevoked(attempt, eventType, target);
  }

  private escalateRevoked(attempt: Attempt, eventType: string, target: string | null, jti?: string): NodeOutcome {
    attempt.audit(AuditOperation.TokenRevoked, {
      success: false,
      scopes: attempt.grantedScopes,
      target,
      error: 'security_event',
      details: { eventType, ...(jti && { jti }) },
    });
    return attempt.escalate(
      EscalationReason.TokenRevoked,
      `the user's token was revoked by a security event (${eventType})`,
    );
  }

  private async exchange(attempt: Attempt, request: ExchangeRequest, subjectDigest: string): Promise<TokenStep> {
    const target = request.audience ?? request.resource ?? null;
    const endTimer = this.metrics.exchangeDuration.startTimer();
    const span = attempt.span.child('baton.token_exchange', {
      'baton.exchange.profile': request.profile,
      ...(target && { 'baton.exchange.target': target }),
      'baton.exchange.scopes': request.scopes.join(' '),
    });
    try {
      const result = await this.exchangers.of(attempt.claim.run.tenant).exchange(request);
      if (!result.cached) endTimer({ result: 'success' });
      span.set({ 'baton.exchange.cached': result.cached });
      span.end({ ok: true });
      attempt.audit(AuditOperation.TokenExchanged, {
        scopes: attempt.grantedScopes,
        target,
        details: {
          cached: result.cached,
          expiresAt: result.expiresAt.toISOString(),
          ...(result.jti && { jti: result.jti }),
          profile: request.profile,
          ...(result.actor && { actor: result.actor }),
          ...(result.act !== undefined && { act: result.act }),
        },
      });
      return { token: { accessToken: result.accessToken, request, subjectDigest } };
    } catch (error) {
      if (!(error instanceof TokenExchangeError)) throw error;
      endTimer({ result: 'failure' });
      this.metrics.exchangeFailed(error);
      span.set({
        'baton.exchange.error_class': error.code,
        'baton.exchange.error': exchangeErrorLabel(error.oauthError),
      });
      span.end({ ok: false, message: error.code });
      const { audit, verdict } = decideExchangeFailure(error);
      attempt.audit(audit.operation as AuditOperation, { scopes: attempt.grantedScopes, target, ...audit });
      return { outcome: attempt.conclude(verdict) };
    }
  }
}

/** The state of one attempt as it goes: the template scope, granted scopes and audit records. */
class Attempt {
  readonly audits: AuditRecord[] = [];
  readonly scope: TemplateScope;
  readonly idempotencyKey: string;
  grantedScopes: string[] | null = null;

  constructor(
    readonly claim: ClaimedNode,
    readonly node: EffectiveNode,
    readonly span: TraceSpan,
  ) {
    // One render budget per attempt: url, headers, query, body (or prompt, or handler input) together (issue 10 item 10).
    this.scope = { input: claim.run.input, nodes: claim.outputs, budget: new RenderBudget() };
    this.idempotencyKey = `${claim.runId}:${claim.nodeId}`;
  }

  audit(operation: AuditRecord['operation'], fields: Partial<Omit<AuditRecord, 'operation'>> = {}): void {
    this.audits.push(runAudit(auditContext(this.claim), operation, { nodeId: this.claim.nodeId, ...fields }));
  }

  succeed(output: unknown): NodeOutcome {
    return { kind: 'succeeded', output, grantedScopes: this.grantedScopes, audits: this.audits };
  }

  fail(error: NodeError): NodeOutcome {
    return { kind: 'failed', error, grantedScopes: this.grantedScopes, audits: this.audits };
  }

  escalate(reason: EscalationReason, detail: string, prompt?: string): NodeOutcome {
    return { kind: 'escalate', reason, detail, prompt, grantedScopes: this.grantedScopes, audits: this.audits };
  }

  /** A decision table's verdict as the attempt's outcome. */
  conclude(verdict: AttemptVerdict): NodeOutcome {
    switch (verdict.kind) {
      case 'escalate':
        return this.escalate(verdict.reason, verdict.detail);
      case 'fail':
        return this.fail(verdict.error);
      case 'retry':
        return this.retryOrFail(verdict.error, verdict.retryAfterMs);
    }
  }

  /** Transient trouble: again after backoff (at least `Retry-After`) while attempts remain. */
  retryOrFail(error: NodeError, retryAfterMs?: number): NodeOutcome {
    const { maxAttempts, backoffMs } = this.node.retry;
    if (this.claim.attempt >= maxAttempts) {
      return this.fail({ ...error, message: `${error.message} (after ${this.claim.attempt} attempts)` });
    }
    const delayMs = retryDelayMs({ attempt: this.claim.attempt, backoffMs, retryAfterMs });
    return { kind: 'retry', delayMs, error, grantedScopes: this.grantedScopes, audits: this.audits };
  }
}

/** What a downstream call's span says about it: method and destination, never the path, query or headers. */
function httpSpanAttributes(request: HttpNodeRequest): Record<string, string | number> {
  try {
    const url = new URL(request.url);
    return {
      'http.request.method': request.method,
      'server.address': url.hostname,
      'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    };
  } catch {
    return { 'http.request.method': request.method };
  }
}

/** Header and query values may be templates that kept a JSON type; HTTP wants strings. */
function stringValues(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stringifyTemplateValue(v)]),
  );
}
