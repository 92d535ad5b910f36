import { Injectable } from '@nestjs/common';
import { SqlPool } from '@baton/platform';
import type { EntityManager } from 'typeorm';
import { auditJson, auditRows, type AuditRecord } from '../audit/audit-writer.js';
import { NodeStatus, type Successor } from '../domain/index.js';
import { updateReturning } from '../persistence/sql.js';
import type { ClaimedNode } from './claimed-node.js';
import type { RunNodeJob } from './node-queue.js';
import type { NodeError } from './node-outcome.js';

/** What a completed node led to: the next node this worker goes on with, and nodes to enqueue. */
export interface Completion {
  settled: boolean;
  next: ClaimedNode | null;
  queued: RunNodeJob[];
}

/** What a retry, failure or escalation led to, for the schedule and the webhook. */
export interface Settlement {
  settled: boolean;
  /** What was recorded: a retry or an escalation on a run that ended meanwhile becomes `failed`. */
  kind: 'retry' | 'failed' | 'escalate';
  closedEscalations: string[];
  openedEscalation?: { id: string; expiresAt: Date };
}

export type NonSuccessOutcome =
  | { kind: 'retry'; error: NodeError; delayMs: number }
  | { kind: 'failed'; error: NodeError }
  | {
      kind: 'escalate';
      escalation: { id: string; reason: string; detail: string; prompt?: string };
      ttlSeconds: number;
    };

/** A queued node of a run whose subject token a security event deleted, with the run facts to pause it. */
export interface QueuedNodeOfRun {
  runId: string;
  nodeId: string;
  /** The attempt its job would claim. */
  attempt: number;
  workflowName: string;
  workflowVersion: number;
  agentId: string | null;
  userIss: string;
  userSub: string;
  userScopes: string[];
}

/** What pausing one such node records: as a worker's attempt would (see baton_pause_queued_nodes). */
export interface QueuedNodePause {
  runId: string;
  nodeId: string;
  attempt: number;
  grantedScopes: string[];
  audits: readonly AuditRecord[];
  escalation: { id: string; reason: string; detail: string };
  ttlSeconds: number;
}

export interface CompletionInput {
  output: unknown;
  grantedScopes: string[] | null;
  audits: readonly AuditRecord[];
  successors: readonly Successor[];
  carrier: string | null;
}

/** One completion as baton_complete_nodes reads it. */
interface CompletionItem {
  run: string;
  node: string;
  attempt: number;
  output: unknown;
  scopes: string[] | null;
  audits: unknown[];
  successors: readonly Successor[];
  carrier: string | null;
}

interface PendingCompletion {
  item: CompletionItem;
  runId: string;
  /** The run's tenant: baton_complete_nodes does not return it (a chain stays in its run). */
  tenant: string;
  resolve(completion: Completion): void;
  reject(error: unknown): void;
}

type CompletionRow = ClaimRow & { settled: boolean; queued: string[] };

/** The run columns every claim returns (baton_claim), as pg hands them over. */
interface ClaimRow {
  node_id: string | null;
  attempt: number;
  workflow_name: string;
  workflow_version: number;
  agent_id: string | null;
  input: Record<string, unknown>;
  user_iss: string;
  user_sub: string;
  user_scopes: string[];
  subject_token_ciphertext: Buffer | null;
  subject_token_key_id: string | null;
  subject_token_expires_at: Date | null;
  outputs: Record<string, { output: unknown }>;
  traceparent: string | null;
  /** Absent from baton_complete_nodes' rows; the chain's tenant is the claim's before it. */
  tenant?: string;
}

const CLAIM_COLUMNS =
  'node_id, attempt, workflow_name, workflow_version, agent_id, input, user_iss, user_sub, user_scopes, subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, outputs, traceparent';

const SQL = {
  claim: `SELECT ${CLAIM_COLUMNS}, tenant FROM baton_claim_node($1, $2, $3, $4)`,
  complete: `SELECT c.settled, c.queued, (c.next).* FROM baton_complete_node($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7::jsonb, $8) c`,
  completeMany: `SELECT item, settled, queued, ${CLAIM_COLUMNS} FROM baton_complete_nodes($1::jsonb)`,
  settle: `SELECT settled, kind, closed, escalation_id, expires_at FROM baton_settle_node($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9::jsonb, $10)`,
  carried: `SELECT run_id, node_id, attempts FROM node_runs WHERE carrier = $1 AND status = 'running'`,
} as const;

/**
 * The one owner of node_runs' state changes (with the run and audit rows each one writes). The
 * worker's transitions are single statements on the pg pool — one round trip each, prepared once
 * per connection (migration 1732500000000 holds their SQL); the escalation queue's run inside its
 * own transaction, through the EntityManager it passes.
 */
@Injectable()
export class NodeRunStore {
  private pending: PendingCompletion[] = [];

  constructor(private readonly sql: SqlPool) {}

  /**
   * Marks a queued attempt `running` for the job that carries it (or takes over a crashed worker's
   * attempt with the same number), moves a pending run to running and writes `node.started`.
   * Null when the step was already taken, or the run is over.
   */
  async claim(job: RunNodeJob, carrier: string): Promise<ClaimedNode | null> {
    const [row] = await this.sql.query<ClaimRow>('baton_claim_node', SQL.claim, [
      job.runId,
      job.nodeId,
      job.attempt,
      carrier,
    ]);
    return row ? toClaimedNode(job.runId, row) : null;
  }

  /**
   * Records a running attempt's success and advances the run in one statement. With a carrier, the
   * first node that became ready is claimed for it at once and returned as `next`. Completions that
   * arrive in the same turn of the event loop (concurrent chains finishing together) go to Postgres
   * as one statement and one commit.
   */
  complete(node: ClaimedNode, result: CompletionInput): Promise<Completion> {
    return new Promise((resolve, reject) => {
      this.pending.push({
        item: completionItem(node, result),
        runId: node.runId,
        tenant: node.run.tenant,
        resolve,
        reject,
      });
      if (this.pending.length === 1) setImmediate(() => void this.flushCompletions());
    });
  }

  private async flushCompletions(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (batch.length === 1) return this.completeAlone(batch[0]!);
    try {
      const rows = await this.sql.query<CompletionRow & { item: number }>('baton_complete_nodes', SQL.completeMany, [
        JSON.stringify(batch.map((b) => b.item)),
      ]);
      for (const row of rows) {
        const entry = batch[row.item]!;
        entry.resolve(toCompletion(entry.runId, { ...row, tenant: entry.tenant }));
      }
    } catch {
      // One bad completion must not fail the others: each goes alone (and fails alone).
      for (const entry of batch) await this.completeAlone(entry);
    }
  }

  private async completeAlone(entry: PendingCompletion): Promise<void> {
    const { item } = entry;
    try {
      const [row] = await this.sql.query<CompletionRow>('baton_complete_node', SQL.complete, [
        item.run,
        item.node,
        item.attempt,
        jsonOrNull(item.output),
        item.scopes,
        JSON.stringify(item.audits),
        JSON.stringify(item.successors),
        item.carrier,
      ]);
      entry.resolve(toCompletion(entry.runId, { ...row!, tenant: row!.tenant ?? entry.tenant }));
    } catch (error) {
      entry.reject(error);
    }
  }

  /** Approval by a human: the waiting node succeeds and the run advances (inside the resolver's transaction). */
  async approveWaiting(
    m: EntityManager,
    runId: string,
    nodeId: string,
    output: unknown,
    audits: readonly AuditRecord[],
    successors: readonly Successor[],
  ): Promise<Completion> {
    const [row] = await m.query(SQL.complete, [
      runId,
      nodeId,
      null,
      jsonOrNull(output),
      null,
      auditJson(audits),
      JSON.stringify(successors),
      null,
    ]);
    return toCompletion(runId, row);
  }

  /** Retry, failure or escalation of a running attempt, in one statement. */
  async settle(
    node: Pick<ClaimedNode, 'runId' | 'nodeId' | 'attempt'>,
    outcome: NonSuccessOutcome,
    grantedScopes: string[] | null,
    audits: readonly AuditRecord[],
  ): Promise<Settlement> {
    const [row] = await this.sql.query<{
      settled: boolean;
      kind: Settlement['kind'];
      closed: string[];
      escalation_id: string | null;
      expires_at: Date | null;
    }>('baton_settle_node', SQL.settle, [
      node.runId,
      node.nodeId,
      node.attempt,
      outcome.kind,
      outcome.kind === 'escalate' ? null : JSON.stringify(outcome.error),
      grantedScopes,
      auditJson(audits),
      outcome.kind === 'retry' ? Math.round(outcome.delayMs) : 0,
      outcome.kind === 'escalate' ? JSON.stringify(outcome.escalation) : null,
      outcome.kind === 'escalate' ? outcome.ttlSeconds : 0,
    ]);
    return {
      settled: row!.settled,
      kind: row!.kind,
      closedEscalations: row!.closed ?? [],
      ...(row!.escalation_id &&
        row!.expires_at && { openedEscalation: { id: row!.escalation_id, expiresAt: new Date(row!.expires_at) } }),
    };
  }

  /**
   * The running attempts a job carried. When a worker dies mid-chain its job is re-delivered; the
   * node it was started for is long done, but the attempts it chained on to are still `running` under
   * its id: the new holder of the job takes those over.
   */
  async carriedBy(carrier: string): Promise<RunNodeJob[]> {
    const rows = await this.sql.query<{ run_id: string; node_id: string; attempts: number }>(
      'baton_carried',
      SQL.carried,
      [carrier],
    );
    return rows.map((r) => ({ runId: r.run_id, nodeId: r.node_id, attempt: r.attempts }));
  }

  /** resume / retry: the waiting node gets a new attempt; returns its job, or null when it is no longer waiting. */
  async requeueWaiting(m: EntityManager, runId: string, nodeId: string): Promise<RunNodeJob | null> {
    const [row] = await updateReturning<{ attempts: number }>(
      m,
      // A limited tenant's node waits for a slot again (parked); its job's claim takes one if free.
      `UPDATE node_runs SET status = $3, queued_at = now(), updated_at = now(), slot_tenant = NULL,
         parked_tenant = CASE WHEN type <> 'workflow' THEN (SELECT l.tenant FROM runs r JOIN tenant_limits l ON l.tenant = r.tenant WHERE r.id = $1) END
       WHERE run_id = $1 AND node_id = $2 AND status = ANY($4) RETURNING attempts`,
      [runId, nodeId, NodeStatus.Queued, [NodeStatus.WaitingForHuman]],
    );
    return row ? { runId, nodeId, attempt: row.attempts + 1 } : null;
  }

  /** reject / abort / expiry: the waiting node fails (the caller then fails the run); false when it no longer waits. */
  async failWaiting(m: EntityManager, runId: string, nodeId: string, error: NodeError): Promise<boolean> {
    const rows = await updateReturning(
      m,
      `UPDATE node_runs SET status = $3, error = $4::jsonb, finished_at = now(), updated_at = now()
       WHERE run_id = $1 AND node_id = $2 AND status = $5 RETURNING node_id`,
      [runId, nodeId, NodeStatus.Failed, JSON.stringify(error), NodeStatus.WaitingForHuman],
    );
    return rows.length === 1;
  }

  /**
   * SPEC §10.3: the queued nodes (due, or waiting out a retry's delay) of these runs, locked for
   * `pauseQueued` in the caller's transaction. A row a worker is claiming at this moment is skipped,
   * not waited for: that worker finds the revocation itself (and waiting could deadlock on the run row).
   */
  async lockQueuedOfRuns(m: EntityManager, runIds: readonly string[]): Promise<QueuedNodeOfRun[]> {
    if (runIds.length === 0) return [];
    const rows: {
      run_id: string;
      node_id: string;
      attempts: number;
      workflow_name: string;
      workflow_version: number;
      agent_id: string | null;
      user_iss: string;
      user_sub: string;
      user_scopes: string[];
    }[] = await m.query(
      `SELECT n.run_id, n.node_id, n.attempts, r.workflow_name, r.workflow_version, r.agent_id, r.user_iss, r.user_sub, r.user_scopes
       FROM node_runs n JOIN runs r ON r.id = n.run_id
       WHERE n.run_id = ANY($1) AND n.status = $2 AND n.parked_tenant IS NULL
       ORDER BY n.run_id, n.position
       FOR UPDATE OF n SKIP LOCKED`,
      [runIds, NodeStatus.Queued],
    );
    return rows.map((r) => ({
      runId: r.run_id,
      nodeId: r.node_id,
      attempt: r.attempts + 1,
      workflowName: r.workflow_name,
      workflowVersion: r.workflow_version,
      agentId: r.agent_id,
      userIss: r.user_iss,
      userSub: r.user_sub,
      userScopes: r.user_scopes,
    }));
  }

  /**
   * Each node's next attempt claimed and escalated at once, as a worker would record it (the same
   * SQL: baton_claim_node, then baton_settle_node), inside the caller's transaction; its job, when
   * it comes, claims nothing. Returns the escalations opened (for their expiry and webhook).
   */
  async pauseQueued(
    m: EntityManager,
    pauses: readonly QueuedNodePause[],
  ): Promise<{ runId: string; nodeId: string; reason: string; escalationId: string; expiresAt: Date }[]> {
    if (pauses.length === 0) return [];
    const rows: { item: number; escalation_id: string; expires_at: Date }[] = await m.query(
      `SELECT item, escalation_id, expires_at FROM baton_pause_queued_nodes($1::jsonb)`,
      [
        JSON.stringify(
          pauses.map((p) => ({
            run: p.runId,
            node: p.nodeId,
            attempt: p.attempt,
            scopes: p.grantedScopes,
            audits: auditRows(p.audits),
            escalation: p.escalation,
            ttl: p.ttlSeconds,
          })),
        ),
      ],
    );
    return rows.map((r) => {
      const pause = pauses[r.item]!;
      return {
        runId: pause.runId,
        nodeId: pause.nodeId,
        reason: pause.escalation.reason,
        escalationId: r.escalation_id,
        expiresAt: new Date(r.expires_at),
      };
    });
  }

  /**
   * Queued rows older than `seconds` (a crash between commit and enqueue, a flushed Redis), oldest
   * first. Parked rows have no job by design: `fillTenants` hands them out.
   */
  async staleQueued(seconds: number, limit: number): Promise<RunNodeJob[]> {
    const rows = await this.sql.query<{ run_id: string; node_id: string; attempts: number }>(
      'baton_stale_queued',
      `SELECT run_id, node_id, attempts FROM node_runs WHERE status = 'queued' AND parked_tenant IS NULL AND queued_at < now() - make_interval(secs => $1) ORDER BY queued_at LIMIT $2`,
      [seconds, limit],
    );
    return rows.map((r) => ({ runId: r.run_id, nodeId: r.node_id, attempt: r.attempts + 1 }));
  }

  /**
   * Hands out the parked nodes of every tenant with free slots (SPEC §12.1), as the end of each
   * worker statement does for its own tenant; they are announced on `baton_nodes_ready`.
   */
  async fillTenants(): Promise<number> {
    const [row] = await this.sql.query<{ handed: number }>(
      'baton_fill_tenants',
      `SELECT baton_fill_tenants() AS handed`,
      [],
    );
    return row?.handed ?? 0;
  }

  /** Running rows that have not moved for `seconds`, with the job that carries each. */
  async staleRunning(seconds: number, limit: number): Promise<(RunNodeJob & { carrier: string | null })[]> {
    const rows = await this.sql.query<{ run_id: string; node_id: string; attempts: number; carrier: string | null }>(
      'baton_stale_running',
      // A workflow node whose child run is in flight is running without a job, by design (SPEC §11).
      `SELECT n.run_id, n.node_id, n.attempts, n.carrier FROM node_runs n
       WHERE n.status = 'running' AND n.updated_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM runs c WHERE c.parent_run_id = n.run_id AND c.parent_node_id = n.node_id
                           AND c.parent_attempt = n.attempts AND c.status IN ('pending', 'running', 'waiting_for_human'))
       ORDER BY n.updated_at LIMIT $2`,
      [seconds, limit],
    );
    return rows.map((r) => ({ runId: r.run_id, nodeId: r.node_id, attempt: r.attempts, carrier: r.carrier }));
  }
}

function completionItem(node: ClaimedNode, result: CompletionInput): CompletionItem {
  return {
    run: node.runId,
    node: node.nodeId,
    attempt: node.attempt,
    output: result.output,
    scopes: result.grantedScopes,
    audits: auditRows(result.audits),
    successors: result.successors,
    carrier: result.carrier,
  };
}

function toCompletion(runId: string, row: CompletionRow): Completion {
  return {
    settled: row.settled,
    next: row.node_id ? toClaimedNode(runId, row) : null,
    queued: (row.queued ?? []).map((nodeId) => ({ runId, nodeId, attempt: 1 })),
  };
}

function toClaimedNode(runId: string, row: ClaimRow): ClaimedNode {
  return {
    runId,
    nodeId: row.node_id!,
    attempt: row.attempt,
    run: {
      tenant: row.tenant!,
      workflowName: row.workflow_name,
      workflowVersion: row.workflow_version,
      agentId: row.agent_id,
      input: row.input,
      userIss: row.user_iss,
      userSub: row.user_sub,
      userScopes: row.user_scopes,
      subjectToken: row.subject_token_ciphertext
        ? { ciphertext: row.subject_token_ciphertext, keyId: row.subject_token_key_id! }
        : null,
      subjectTokenExpiresAt: row.subject_token_expires_at,
      traceparent: row.traceparent ?? null,
    },
    outputs: row.outputs ?? {},
  };
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
