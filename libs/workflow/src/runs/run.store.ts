import { Injectable } from '@nestjs/common';
import { SqlPool } from '@baton/platform';
import type { EntityManager } from 'typeorm';
import { RUN_STATUSES, RunStatus, TERMINAL_RUN_STATUSES, allowedFromRun } from '../domain/index.js';
import type { NodeError } from '../engine/node-outcome.js';
import { updateReturning } from '../persistence/sql.js';

export interface NewRun {
  id: string;
  /** SPEC §12.1: the caller's tenant, fixed for the run's life (children inherit it). */
  tenant: string;
  workflowName: string;
  workflowVersion: number;
  /** The caller validated against what it believes is the latest version: refuse if another was posted since. */
  expectLatest: boolean;
  agentId: string | null;
  input: Record<string, unknown>;
  userIss: string;
  userSub: string;
  userScopes: string[];
  subjectToken: { ciphertext: Buffer; keyId: string; expiresAt: Date };
  idempotencyKey: string | null;
  /** The caller's W3C traceparent (normalized), passed on to the run's downstream calls. */
  traceparent: string | null;
  /** The token's `email` and `sid` claims, for security events that name the user so (SPEC §10.3). */
  userEmail: string | null;
  userSid: string | null;
  /** In definition order; roots start `queued`, the rest `pending`. */
  nodes: { id: string; type: string; queued: boolean; refs: readonly string[] }[];
}

/** Whose runs a security event revokes: a user by `sub` or lower-cased `email`, maybe one session. */
export interface RevokedSubject {
  issuer: string;
  kind: 'sub' | 'email';
  value: string;
  sid?: string;
}

/** A run whose subject token a security event deleted, with the sealed token as it was. */
export interface RevokedRun {
  id: string;
  userIss: string;
  userSub: string;
  sealed: { ciphertext: Buffer; keyId: string } | null;
}

/** Why a run's subject token was deleted (SPEC §10.3). */
export interface SubjectTokenRevocation {
  eventType: string;
  jti: string;
  at: string;
}

/** A child run as the `workflow` node that starts it describes it (SPEC §11). */
export interface NewChildRun {
  id: string;
  parentRunId: string;
  parentNodeId: string;
  parentAttempt: number;
  workflowName: string;
  workflowVersion: number;
  agentId: string | null;
  input: Record<string, unknown>;
  /** The user's scopes within every ceiling of the child's delegation (what its nodes narrow against). */
  userScopes: string[];
  /** The parent's subject token sealed for the child's id, or null when a security event deleted it. */
  subjectToken: { ciphertext: Buffer; keyId: string } | null;
  /** The ceilings above the child, root first; its last entry is the starting node's. */
  delegation: string[][];
  /** The parent node's successors, for completing it when the child succeeds. */
  parentSuccessors: readonly unknown[];
  nodes: { id: string; type: string; queued: boolean; refs: readonly string[] }[];
}

/** Where a run sits in its tree (SPEC §11). */
export interface TreePosition {
  rootRunId: string;
  depth: number;
  delegation: string[][];
}

const IN_FLIGHT_RUN_STATUSES = RUN_STATUSES.filter((s) => !TERMINAL_RUN_STATUSES.includes(s));

export type StartResult =
  { outcome: 'created'; id: string; createdAt: Date } | { outcome: 'exists'; id: string } | { outcome: 'stale' };

/**
 * The one owner of the runs table's state changes that are not a node's (those are NodeRunStore's):
 * start, cancel, failure, back to running, the subject token. SQL in migration 1732500000000.
 */
@Injectable()
export class RunStore {
  constructor(private readonly sql: SqlPool) {}

  /** The run, its node rows and `run.started`: one statement, one round trip. */
  /**
   * The roots of a limited tenant's new run that its start handed a slot (SPEC §12.1): the starter
   * enqueues them too, so they run even when no worker heard the hand-out.
   */
  async handedOutRoots(runId: string): Promise<string[]> {
    const rows = await this.sql.query<{ node_id: string }>(
      'baton_handed_out_roots',
      `SELECT node_id FROM node_runs WHERE run_id = $1 AND status = 'queued' AND slot_tenant IS NOT NULL`,
      [runId],
    );
    return rows.map((r) => r.node_id);
  }

  async start(run: NewRun): Promise<StartResult> {
    const [row] = await this.sql.query<{
      r_outcome: StartResult['outcome'];
      r_id: string | null;
      r_created_at: Date | null;
    }>(
      'baton_start_run',
      `SELECT r_outcome, r_id, r_created_at FROM baton_start_run($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18)`,
      [
        run.id,
        run.tenant,
        run.workflowName,
        run.workflowVersion,
        run.expectLatest,
        run.agentId,
        JSON.stringify(run.input),
        run.userIss,
        run.userSub,
        run.userScopes,
        run.subjectToken.ciphertext,
        run.subjectToken.keyId,
        run.subjectToken.expiresAt,
        run.idempotencyKey,
        JSON.stringify(run.nodes),
        run.traceparent,
        run.userEmail,
        run.userSid,
      ],
    );
    if (!row || row.r_outcome === 'stale') return { outcome: 'stale' };
    if (row.r_outcome === 'exists') return { outcome: 'exists', id: row.r_id! };
    return { outcome: 'created', id: row.r_id!, createdAt: row.r_created_at! };
  }

  /**
   * SPEC §11: the child run of a parent node attempt, its node rows and `run.started`, in one
   * statement that first checks the attempt is still running. `exists`: this attempt's child was
   * started before (a re-executed attempt); `gone`: the attempt or its run is over.
   */
  async startChild(child: NewChildRun): Promise<'created' | 'exists' | 'gone'> {
    const [row] = await this.sql.query<{ outcome: 'created' | 'exists' | 'gone' }>(
      'baton_start_child',
      `SELECT baton_start_child($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12::jsonb, $13::jsonb, $14::jsonb) AS outcome`,
      [
        child.id,
        child.parentRunId,
        child.parentNodeId,
        child.parentAttempt,
        child.workflowName,
        child.workflowVersion,
        child.agentId,
        JSON.stringify(child.input),
        child.userScopes,
        child.subjectToken?.ciphertext ?? null,
        child.subjectToken?.keyId ?? null,
        JSON.stringify(child.delegation),
        JSON.stringify(child.parentSuccessors),
        JSON.stringify(child.nodes),
      ],
    );
    return row!.outcome;
  }

  async treePosition(runId: string): Promise<TreePosition | null> {
    const [row] = await this.sql.query<{ root_run_id: string; depth: number; delegation: string[][] }>(
      'baton_tree_position',
      `SELECT root_run_id, depth, delegation FROM runs WHERE id = $1`,
      [runId],
    );
    return row ? { rootRunId: row.root_run_id, depth: row.depth, delegation: row.delegation } : null;
  }

  /**
   * SPEC §9.3 inside a sub-workflow: the agents of the run's ancestors, nearest parent first (`null`
   * for a workflow without `agentId`); empty for a root run.
   */
  async ancestorAgents(runId: string): Promise<(string | null)[]> {
    const rows = await this.sql.query<{ agent_id: string | null }>(
      'baton_ancestor_agents',
      `WITH RECURSIVE up(parent, hops) AS (
           SELECT parent_run_id, 1 FROM runs WHERE id = $1
           UNION ALL SELECT r.parent_run_id, up.hops + 1 FROM runs r JOIN up ON r.id = up.parent WHERE up.hops < 64)
       SELECT r.agent_id FROM up JOIN runs r ON r.id = up.parent ORDER BY up.hops`,
      [runId],
    );
    return rows.map((r) => r.agent_id);
  }

  /** The child a parent node attempt started, if any, with its status and (once it succeeded) its nodes' outputs. */
  async childOf(
    parentRunId: string,
    nodeId: string,
    attempt: number,
  ): Promise<{ id: string; status: RunStatus; outputs: Record<string, unknown> } | null> {
    const [row] = await this.sql.query<{ id: string; status: RunStatus; outputs: Record<string, unknown> }>(
      'baton_child_of',
      `SELECT c.id, c.status,
              (SELECT coalesce(jsonb_object_agg(n.node_id, n.output), '{}'::jsonb) FROM node_runs n WHERE n.run_id = c.id AND n.status = 'succeeded') AS outputs
       FROM runs c WHERE c.parent_run_id = $1 AND c.parent_node_id = $2 AND c.parent_attempt = $3`,
      [parentRunId, nodeId, attempt],
    );
    return row ?? null;
  }

  /**
   * Cancels a run that is not over, and all its descendants (SPEC §11, by the tree trigger); returns
   * the escalations it closed, or null when it was already over.
   */
  async cancel(runId: string, by: string): Promise<{ closedEscalations: string[] } | null> {
    const [row] = await this.sql.query<{ closed: string[] | null }>(
      'baton_cancel_tree',
      `SELECT baton_cancel_tree($1, $2) AS closed`,
      [runId, by],
    );
    return row?.closed ? { closedEscalations: row.closed } : null;
  }

  /** Locks the run row for a transition made of several statements; its status, or null when there is no such run. */
  async lock(m: EntityManager, runId: string): Promise<RunStatus | null> {
    const [row] = await m.query(`SELECT status FROM runs WHERE id = $1 FOR UPDATE`, [runId]);
    return row ? (row.status as RunStatus) : null;
  }

  /** Fails the run because `nodeId` failed (skips what never started, closes open escalations); returns the closed escalations. */
  async fail(m: EntityManager, runId: string, nodeId: string, error: NodeError): Promise<string[]> {
    const [row] = await m.query(`SELECT baton_fail_run($1, $2, $3::jsonb) AS closed`, [
      runId,
      nodeId,
      JSON.stringify(error),
    ]);
    return row?.closed ?? [];
  }

  /**
   * A human acted on an escalation: the run is running again unless another escalation is still
   * open or one of its child runs still waits for a human (SPEC §11).
   */
  async backToRunning(m: EntityManager, runId: string): Promise<void> {
    await m.query(
      `UPDATE runs SET status = $2, updated_at = now()
       WHERE id = $1 AND status = ANY($3) AND NOT EXISTS (SELECT 1 FROM escalations WHERE run_id = $1 AND status = 'open')
         AND NOT EXISTS (SELECT 1 FROM runs c WHERE c.parent_run_id = $1 AND c.status = $4)`,
      [
        runId,
        RunStatus.Running,
        allowedFromRun(RunStatus.Running).filter((s) => s !== RunStatus.Pending),
        RunStatus.WaitingForHuman,
      ],
    );
  }

  /** The runs of `runId`'s tree that are not over (locked), with their delegations: one subject token for the tree. */
  async inFlightTree(m: EntityManager, runId: string): Promise<{ id: string; delegation: string[][] }[]> {
    return m.query(
      `SELECT id, delegation FROM runs
       WHERE root_run_id = (SELECT root_run_id FROM runs WHERE id = $1) AND status = ANY($2)
       ORDER BY depth DESC, id FOR UPDATE`,
      [runId, IN_FLIGHT_RUN_STATUSES],
    );
  }

  /** `resume`: the fresh subject token (sealed), its scopes, email and sid replace the run's (and end a revocation). */
  async replaceSubjectToken(
    m: EntityManager,
    runId: string,
    fresh: {
      ciphertext: Buffer;
      keyId: string;
      expiresAt: Date;
      scopes: string[];
      email: string | null;
      sid: string | null;
    },
  ): Promise<void> {
    await m.query(
      `UPDATE runs SET subject_token_ciphertext = $2, subject_token_key_id = $3, subject_token_expires_at = $4, user_scopes = $5,
              user_email = $6, user_sid = $7, subject_token_revoked = NULL, updated_at = now() WHERE id = $1`,
      [runId, fresh.ciphertext, fresh.keyId, fresh.expiresAt, fresh.scopes, fresh.email, fresh.sid],
    );
  }

  /** Why the run's subject token was deleted by a security event, or null (none was, or it was replaced since). */
  async subjectTokenRevocation(runId: string): Promise<SubjectTokenRevocation | null> {
    const [row] = await this.sql.query<{ revoked: SubjectTokenRevocation | null }>(
      'baton_subject_token_revocation',
      `SELECT subject_token_revoked AS revoked FROM runs WHERE id = $1`,
      [runId],
    );
    return row?.revoked ?? null;
  }

  /**
   * SPEC §10.3: deletes the stored subject token of every run of the subject that is not over, and
   * records why; returns those runs with their sealed tokens as they were (to find what was exchanged
   * from them). Runs already revoked are revoked again (the newer event is the one named). Rows are
   * locked in id order, as the worker's batched completions lock them, so the two never deadlock.
   */
  async revokeSubjectTokens(
    m: EntityManager,
    tenant: string,
    subject: RevokedSubject,
    why: SubjectTokenRevocation,
  ): Promise<RevokedRun[]> {
    const matchesUser = subject.kind === 'sub' ? 'user_sub = $2' : 'lower(user_email) = $2';
    const rows = await updateReturning<{
      id: string;
      user_iss: string;
      user_sub: string;
      ciphertext: Buffer | null;
      key_id: string | null;
    }>(
      m,
      `WITH target AS (
           SELECT id, subject_token_ciphertext, subject_token_key_id FROM runs
           WHERE user_iss = $1 AND ${matchesUser} AND ($3::text IS NULL OR user_sid = $3) AND status = ANY($4) AND tenant = $6
           ORDER BY id FOR UPDATE
         )
         UPDATE runs r SET subject_token_ciphertext = NULL, subject_token_key_id = NULL, subject_token_revoked = $5::jsonb, updated_at = now()
         FROM target t WHERE r.id = t.id
         RETURNING r.id, r.user_iss, r.user_sub, t.subject_token_ciphertext AS ciphertext, t.subject_token_key_id AS key_id`,
      [subject.issuer, subject.value, subject.sid ?? null, IN_FLIGHT_RUN_STATUSES, JSON.stringify(why), tenant],
    );
    return rows.map((r) => ({
      id: r.id,
      userIss: r.user_iss,
      userSub: r.user_sub,
      sealed: r.ciphertext && r.key_id ? { ciphertext: r.ciphertext, keyId: r.key_id } : null,
    }));
  }
}
