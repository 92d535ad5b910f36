import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectConfig, type BatonConfig } from '@baton/platform';
import { SubjectCutoffs, SubjectTokenCipher, subjectTokenDigest, type SubjectCutoff } from '@baton/oauth';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditWriter } from '../audit/audit-writer.js';
import { DefinitionCache } from '../definitions/definition-cache.js';
import { AuditOperation } from '../domain/index.js';
import { NodeRunStore, type QueuedNodePause } from '../engine/node-run.store.js';
import { EscalationEvents } from '../escalations/escalation-events.js';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import { RunStore, type RevokedRun, type SubjectTokenRevocation } from '../runs/run.store.js';
import { revokedNodePause } from './revoked-node-pause.js';
import { RevokedSubjectTokens } from './revoked-subject-tokens.js';
import { SecurityBroadcast, type RevocationNotice } from './security-broadcast.js';
import { SecurityEventSink, type SecurityEventOutcome, type VerifiedSecurityEvent } from './security-event.js';
import { SecurityEventEffect, readSecurityEvent } from './security-event-reading.js';
import { SecurityEventStore } from './security-event.store.js';

/** SPEC §10.3: older inbound tokens of the subject are refused "for at least 24 h". */
const CUTOFF_HOURS = 24;
const FORGET_EVERY_MS = 3_600_000;

/**
 * What an accepted SET does (SPEC §10.3), in one transaction: the `jti` is remembered (a duplicate
 * stops there), the subject's runs lose their stored subject token, the cut-offs are recorded, the
 * audit rows `security_event.received` (one) and `security_event.applied` (one per run) are
 * written, and the revoked runs' queued nodes that need a token escalate `token_revoked` at once
 * (rather than when a worker reaches their job, which with many runs in flight can be seconds).
 * After the commit this process applies the revocation to itself and broadcasts it, so every
 * worker stops using the revoked tokens and every api replica refuses the older ones.
 */
@Injectable()
export class SecurityEventApplier extends SecurityEventSink {
  private readonly logger = new Logger(SecurityEventApplier.name);
  private lastForget = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: SecurityEventStore,
    private readonly runs: RunStore,
    private readonly nodes: NodeRunStore,
    private readonly definitions: DefinitionCache,
    private readonly escalationEvents: EscalationEvents,
    private readonly metrics: EngineMetrics,
    @InjectConfig() private readonly config: BatonConfig,
    private readonly audit: AuditWriter,
    private readonly cipher: SubjectTokenCipher,
    private readonly cutoffs: SubjectCutoffs,
    private readonly revoked: RevokedSubjectTokens,
    private readonly broadcast: SecurityBroadcast,
  ) {
    super();
  }

  async accept(event: VerifiedSecurityEvent): Promise<SecurityEventOutcome> {
    const reading = readSecurityEvent(event);
    const now = new Date();
    const revokes = reading.effect !== SecurityEventEffect.None;
    const cutoffs: SubjectCutoff[] =
      reading.effect === SecurityEventEffect.RevokeAndCutOff
        ? reading.subjects.map((subject) => ({
            issuer: event.subjectIssuer,
            kind: subject.kind,
            value: subject.value,
            ...(subject.sid !== undefined && { sid: subject.sid }),
            // A transmitter's clock ahead of ours must not refuse tokens issued after the event.
            notBefore: new Date(Math.min(reading.cutOffBefore.getTime(), now.getTime())),
            expiresAt: new Date(now.getTime() + CUTOFF_HOURS * 3_600_000),
          }))
        : [];

    const why: SubjectTokenRevocation = { eventType: reading.eventType, jti: event.jti, at: now.toISOString() };
    const committed = await this.dataSource.transaction(async (m) => {
      if (!(await this.store.remember(m, event.issuer, event.jti))) return null;
      const revokedRuns = new Map<string, RevokedRun>();
      if (revokes) {
        for (const subject of reading.subjects) {
          for (const run of await this.runs.revokeSubjectTokens(
            m,
            event.tenant,
            { issuer: event.subjectIssuer, ...subject },
            why,
          ))
            revokedRuns.set(run.id, run);
        }
      }
      for (const cutoff of cutoffs) await this.store.cutOff(m, cutoff);
      const runs = [...revokedRuns.values()];
      const users = new Set(runs.map((r) => r.userSub));
      await this.audit.writeWithoutRun(m, event.tenant, {
        operation: AuditOperation.SecurityEventReceived,
        success: true,
        issuer: event.issuer,
        userId: reading.userId ?? (users.size === 1 ? [...users][0]! : null),
        details: {
          eventType: reading.eventType,
          jti: event.jti,
          subjectFormat: reading.subjectFormat,
          runsAffected: runs.length,
          applied: runs.length > 0 || cutoffs.length > 0,
        },
      });
      await this.audit.writeForRuns(
        m,
        runs.map((r) => r.id),
        [
          {
            operation: AuditOperation.SecurityEventApplied,
            success: true,
            details: { eventType: reading.eventType, jti: event.jti },
          },
        ],
      );
      return { runs, paused: await this.pauseQueuedNodes(m, event.tenant, runs, why) };
    });
    void this.forgetOldEvents();
    if (committed === null) return { duplicate: true, runsAffected: 0, applied: false };
    const applied = committed.runs;

    const notice: RevocationNotice = {
      digests: applied.flatMap((run) => this.digestOf(run)),
      eventType: reading.eventType,
      cutoffs: cutoffs.map((c) => ({
        issuer: c.issuer,
        kind: c.kind,
        value: c.value,
        sid: c.sid ?? '',
        notBefore: c.notBefore.toISOString(),
        expiresAt: c.expiresAt.toISOString(),
      })),
    };
    if (notice.digests.length > 0 || notice.cutoffs.length > 0) {
      applyNotice(notice, this.cutoffs, this.revoked);
      await this.broadcast.publish(notice);
    }
    for (const p of committed.paused) this.metrics.escalationsOpened.inc({ reason: p.reason });
    await Promise.all(committed.paused.map((p) => this.escalationEvents.opened(p.escalationId, p.expiresAt)));
    return { duplicate: false, runsAffected: applied.length, applied: applied.length > 0 || cutoffs.length > 0 };
  }

  /** The revoked runs' queued nodes that need a token, escalated `token_revoked` in this transaction. */
  private async pauseQueuedNodes(
    m: EntityManager,
    tenant: string,
    runs: readonly RevokedRun[],
    why: SubjectTokenRevocation,
  ) {
    const queued = await this.nodes.lockQueuedOfRuns(
      m,
      runs.map((r) => r.id),
    );
    const pauses: QueuedNodePause[] = [];
    for (const q of queued) {
      const definition = await this.definitions.get(tenant, q.workflowName, q.workflowVersion);
      const node = definition?.nodes.get(q.nodeId);
      const run = {
        runId: q.runId,
        workflow: q.workflowName,
        agentId: q.agentId,
        userId: q.userSub,
        issuer: q.userIss,
        userScopes: q.userScopes,
      };
      const profile =
        node && 'oauth' in node && node.oauth
          ? this.config.tenants[tenant]?.exchangeProfiles[node.oauth.profile]
          : undefined;
      const pause = revokedNodePause(run, node, profile, why);
      if (!pause) continue;
      pauses.push({
        runId: q.runId,
        nodeId: q.nodeId,
        attempt: q.attempt,
        grantedScopes: pause.grantedScopes,
        audits: pause.audits,
        escalation: { id: randomUUID(), ...pause.escalation },
        ttlSeconds: this.config.escalationTtlSeconds,
      });
    }
    return this.nodes.pauseQueued(m, pauses);
  }

  /** The digest of the subject token a run held, to find what was exchanged from it (none if it cannot be opened). */
  private digestOf(run: RevokedRun): string[] {
    if (!run.sealed) return [];
    try {
      const token = this.cipher.open(run.sealed, { runId: run.id, issuer: run.userIss, subject: run.userSub });
      return [subjectTokenDigest(token)];
    } catch {
      return [];
    }
  }

  private async forgetOldEvents(): Promise<void> {
    if (Date.now() - this.lastForget < FORGET_EVERY_MS) return;
    this.lastForget = Date.now();
    await this.store.forgetExpired().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not forget expired security events; trying again later');
    });
  }
}

/** A revocation, applied to this process: cut-offs for inbound tokens, revoked subject tokens for attempts. */
export function applyNotice(notice: RevocationNotice, cutoffs: SubjectCutoffs, revoked: RevokedSubjectTokens): void {
  for (const c of notice.cutoffs)
    cutoffs.add({
      issuer: c.issuer,
      kind: c.kind,
      value: c.value,
      ...(c.sid && { sid: c.sid }),
      notBefore: new Date(c.notBefore),
      expiresAt: new Date(c.expiresAt),
    });
  if (notice.digests.length > 0) revoked.revoke(notice.digests, notice.eventType);
}
