import { Injectable } from '@nestjs/common';
import { SqlPool } from '@baton/platform';
import type { EntityManager } from 'typeorm';
import { RUN_STATUSES, RunStatus, TERMINAL_RUN_STATUSES, allowedFromRun } from '../domain/index.js';
import type { NodeError } from '../engine/node-outcome.js';
import { updateReturning } from '../persistence/sql.js';

export interface NewRun {
  id: string;
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
  async start(run: NewRun): Promise<StartResult> {
    const [row] = await this.sql.query<{
      r_outcome: StartResult['outcome'];
      r_id: string | null;
      r_created_at: Date | null;
    }>(
      'baton_start_run',
      `SELECT r_outcome, r_id, r_created_at FROM baton_start_run($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17)`,
      [
        run.id,
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

  /** Cancels a run that is not over; returns the escalations it closed, or null when it was already over. */
  async cancel(runId: string, by: string): Promise<{ closedEscalations: string[] } | null> {
    const [row] = await this.sql.query<{ closed: string[] | null }>(
      'baton_cancel_run',
      `SELECT baton_cancel_run($1, $2) AS closed`,
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

  /** A human acted on an escalation: the run is running again unless another escalation is still open. */
  async backToRunning(m: EntityManager, runId: string): Promise<void> {
    await m.query(
      `UPDATE runs SET status = $2, updated_at = now()
       WHERE id = $1 AND status = ANY($3) AND NOT EXISTS (SELECT 1 FROM escalations WHERE run_id = $1 AND status = 'open')`,
      [runId, RunStatus.Running, allowedFromRun(RunStatus.Running).filter((s) => s !== RunStatus.Pending)],
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
           WHERE user_iss = $1 AND ${matchesUser} AND ($3::text IS NULL OR user_sid = $3) AND status = ANY($4)
           ORDER BY id FOR UPDATE
         )
         UPDATE runs r SET subject_token_ciphertext = NULL, subject_token_key_id = NULL, subject_token_revoked = $5::jsonb, updated_at = now()
         FROM target t WHERE r.id = t.id
         RETURNING r.id, r.user_iss, r.user_sub, t.subject_token_ciphertext AS ciphertext, t.subject_token_key_id AS key_id`,
      [subject.issuer, subject.value, subject.sid ?? null, IN_FLIGHT_RUN_STATUSES, JSON.stringify(why)],
    );
    return rows.map((r) => ({
      id: r.id,
      userIss: r.user_iss,
      userSub: r.user_sub,
      sealed: r.ciphertext && r.key_id ? { ciphertext: r.ciphertext, keyId: r.key_id } : null,
    }));
  }
}
