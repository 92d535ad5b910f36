import { Injectable } from '@nestjs/common';
import { SqlPool } from '@baton/platform';
import type { SubjectCutoff } from '@baton/oauth';
import type { EntityManager } from 'typeorm';

/** Seen `jti`s are kept at least this long (SPEC §10.2: 7 days); older ones are forgotten. */
const SEEN_JTI_DAYS = 8;

/** The one owner of `security_events` (seen SETs) and `subject_cutoffs`. */
@Injectable()
export class SecurityEventStore {
  constructor(private readonly sql: SqlPool) {}

  /**
   * Records `(issuer, jti)` inside the caller's transaction; false when it was seen before. The
   * primary key makes two api replicas receiving the same SET agree: the second waits for the
   * first's commit and then finds the row.
   */
  async remember(m: EntityManager, issuer: string, jti: string): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO security_events (issuer, jti) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [issuer, jti],
    );
    return rows.length === 1;
  }

  /** Records a cut-off; the latest `notBefore` and `expiresAt` of a subject win. */
  async cutOff(m: EntityManager, cutoff: SubjectCutoff): Promise<void> {
    await m.query(
      `INSERT INTO subject_cutoffs (issuer, kind, value, sid, not_before, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (issuer, kind, value, sid) DO UPDATE
         SET not_before = GREATEST(subject_cutoffs.not_before, EXCLUDED.not_before),
             expires_at = GREATEST(subject_cutoffs.expires_at, EXCLUDED.expires_at)`,
      [cutoff.issuer, cutoff.kind, cutoff.value, cutoff.sid ?? '', cutoff.notBefore, cutoff.expiresAt],
    );
  }

  /** Every cut-off still in force (what a process loads at start and after missing broadcasts). */
  async activeCutoffs(): Promise<SubjectCutoff[]> {
    const rows = await this.sql.query<{
      issuer: string;
      kind: 'sub' | 'email';
      value: string;
      sid: string;
      not_before: Date;
      expires_at: Date;
    }>(
      'baton_active_cutoffs',
      `SELECT issuer, kind, value, sid, not_before, expires_at FROM subject_cutoffs WHERE expires_at > now()`,
      [],
    );
    return rows.map((r) => ({
      issuer: r.issuer,
      kind: r.kind,
      value: r.value,
      ...(r.sid && { sid: r.sid }),
      notBefore: new Date(r.not_before),
      expiresAt: new Date(r.expires_at),
    }));
  }

  /** Forgets seen SETs and cut-offs that are past keeping. */
  async forgetExpired(): Promise<void> {
    await this.sql.query(
      'baton_forget_security_events',
      `WITH gone AS (DELETE FROM security_events WHERE received_at < now() - make_interval(days => $1) RETURNING 1)
       DELETE FROM subject_cutoffs WHERE expires_at < now()`,
      [SEEN_JTI_DAYS],
    );
  }
}
