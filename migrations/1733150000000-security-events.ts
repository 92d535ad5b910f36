import type { MigrationInterface, QueryRunner } from 'typeorm';
import { startRun } from './1732950000000-run-trace-context.js';

/**
 * Shared Signals (SPEC §10.3).
 * - `runs.user_email` / `runs.user_sid`: the `email` and `sid` claims of the token that started or
 *   resumed the run, for SETs that name a user by email or a session.
 * - `runs.subject_token_revoked`: why the stored subject token was deleted (`{eventType, jti, at}`),
 *   so a node that needs it escalates `token_revoked` naming the event, without asking the AS.
 * - `security_events`: every accepted `(issuer, jti)`, at least 7 days, so a SET pushed twice, or
 *   to two api replicas, is applied once.
 * - `subject_cutoffs`: inbound tokens of a subject issued before `not_before` are refused until
 *   `expires_at` (24 h after the last event); `kind` is `sub` or `email`, `sid` narrows to a session.
 */
export class SecurityEvents1733150000000 implements MigrationInterface {
  name = 'SecurityEvents1733150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE runs ADD COLUMN user_email text, ADD COLUMN user_sid text, ADD COLUMN subject_token_revoked jsonb`,
    );
    await q.query(
      `CREATE INDEX runs_in_flight_by_email ON runs (user_iss, lower(user_email)) WHERE user_email IS NOT NULL AND status IN ('pending','running','waiting_for_human')`,
    );
    await q.query(`
      CREATE TABLE security_events (
        issuer      text NOT NULL,
        jti         text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (issuer, jti)
      )`);
    await q.query(`CREATE INDEX security_events_by_age ON security_events (received_at)`);
    await q.query(`
      CREATE TABLE subject_cutoffs (
        issuer     text NOT NULL,
        kind       text NOT NULL CHECK (kind IN ('sub','email')),
        value      text NOT NULL,
        sid        text NOT NULL DEFAULT '',
        not_before timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (issuer, kind, value, sid)
      )`);
    await q.query(
      `DROP FUNCTION baton_start_run(uuid, text, integer, boolean, text, jsonb, text, text, text[], bytea, text, timestamptz, text, jsonb, text)`,
    );
    await q.query(`
      CREATE FUNCTION baton_start_run(p_id uuid, p_workflow text, p_version integer, p_expect_latest boolean, p_agent text, p_input jsonb,
                                      p_iss text, p_sub text, p_scopes text[], p_ciphertext bytea, p_key_id text, p_expires_at timestamptz,
                                      p_idempotency_key text, p_nodes jsonb, p_traceparent text,
                                      p_email text DEFAULT NULL, p_sid text DEFAULT NULL)
      RETURNS TABLE(r_outcome text, r_id uuid, r_created_at timestamptz) LANGUAGE plpgsql AS $$
      BEGIN
        IF p_expect_latest AND (SELECT latest_version FROM workflows WHERE name = p_workflow) IS DISTINCT FROM p_version THEN
          RETURN QUERY SELECT 'stale'::text, NULL::uuid, NULL::timestamptz;
          RETURN;
        END IF;
        INSERT INTO runs (id, workflow_name, workflow_version, agent_id, status, input, user_iss, user_sub, user_scopes,
                          subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, idempotency_key, traceparent,
                          user_email, user_sid)
        VALUES (p_id, p_workflow, p_version, p_agent, 'pending', p_input, p_iss, p_sub, p_scopes, p_ciphertext, p_key_id, p_expires_at,
                p_idempotency_key, p_traceparent, p_email, p_sid)
        ON CONFLICT (user_iss, user_sub, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'exists'::text, r.id, r.created_at FROM runs r
            WHERE r.user_iss = p_iss AND r.user_sub = p_sub AND r.idempotency_key = p_idempotency_key;
          RETURN;
        END IF;
        INSERT INTO node_runs (run_id, node_id, type, position, status, queued_at, refs)
        SELECT p_id, n.id, n.type, (n.ord - 1)::integer, CASE WHEN n.queued THEN 'queued' ELSE 'pending' END, CASE WHEN n.queued THEN now() END, n.refs
        FROM ROWS FROM (jsonb_to_recordset(p_nodes) AS (id text, type text, queued boolean, refs text[])) WITH ORDINALITY AS n(id, type, queued, refs, ord);
        PERFORM baton_write_audits(p_id, jsonb_build_array(jsonb_build_object('operation', 'run.started', 'scopes', to_jsonb(p_scopes),
                  'details', jsonb_build_object('version', p_version))));
        RETURN QUERY SELECT 'created'::text, r.id, r.created_at FROM runs r WHERE r.id = p_id;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION baton_start_run(uuid, text, integer, boolean, text, jsonb, text, text, text[], bytea, text, timestamptz, text, jsonb, text, text, text)`,
    );
    await q.query(startRun(true));
    await q.query(`DROP TABLE subject_cutoffs`);
    await q.query(`DROP TABLE security_events`);
    await q.query(`DROP INDEX runs_in_flight_by_email`);
    await q.query(`ALTER TABLE runs DROP COLUMN user_email, DROP COLUMN user_sid, DROP COLUMN subject_token_revoked`);
  }
}
