import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema of SPEC §3–§6, designed up front so later features add behaviour, not churn.
 * Postgres is the source of truth for run and node state; Redis only holds the schedule.
 */
// Timestamps used as keyset cursors are kept at millisecond precision, so the cursor (a JS Date)
// names a row exactly and pagination neither skips nor repeats rows.
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE workflows (
        name            text PRIMARY KEY,
        latest_version  integer NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);

    // Versions are immutable: a trigger refuses UPDATE and DELETE.
    await q.query(`
      CREATE TABLE workflow_versions (
        name        text NOT NULL REFERENCES workflows(name),
        version     integer NOT NULL,
        description text,
        agent_id    text,
        definition  jsonb NOT NULL,
        created_by_iss text NOT NULL,
        created_by_sub text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        PRIMARY KEY (name, version)
      )`);

    await q.query(`
      CREATE TABLE runs (
        id               uuid PRIMARY KEY,
        workflow_name    text NOT NULL,
        workflow_version integer NOT NULL,
        agent_id         text,
        status           text NOT NULL CHECK (status IN ('pending','running','waiting_for_human','succeeded','failed','cancelled')),
        input            jsonb NOT NULL DEFAULT '{}'::jsonb,
        user_iss         text NOT NULL,
        user_sub         text NOT NULL,
        user_scopes      text[] NOT NULL DEFAULT '{}',
        -- AES-256-GCM (iv | tag | ciphertext); the key id names the key so it can rotate.
        -- Both are set to NULL when the run reaches a terminal state.
        subject_token_ciphertext bytea,
        subject_token_key_id     text,
        subject_token_expires_at timestamptz,
        idempotency_key  text,
        error            jsonb,
        created_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        started_at       timestamptz,
        finished_at      timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (workflow_name, workflow_version) REFERENCES workflow_versions(name, version)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX runs_idempotency ON runs (user_iss, user_sub, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX runs_by_user ON runs (user_iss, user_sub, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX runs_by_workflow ON runs (workflow_name, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE node_runs (
        run_id         uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node_id        text NOT NULL,
        type           text NOT NULL,
        position       integer NOT NULL,
        status         text NOT NULL CHECK (status IN ('pending','queued','running','succeeded','failed','skipped','cancelled','waiting_for_human')),
        attempts       integer NOT NULL DEFAULT 0,
        granted_scopes text[],
        output         jsonb,
        error          jsonb,
        queued_at      timestamptz,
        started_at     timestamptz,
        finished_at    timestamptz,
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, node_id)
      )`);
    // The sweeper looks for queued/running nodes that have not moved for a while.
    await q.query(`CREATE INDEX node_runs_in_flight ON node_runs (updated_at) WHERE status IN ('queued','running')`);

    await q.query(`
      CREATE TABLE escalations (
        id          uuid PRIMARY KEY,
        run_id      uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node_id     text NOT NULL,
        reason      text NOT NULL CHECK (reason IN ('token_expired','token_revoked','insufficient_scope','consent_required','approval_required')),
        status      text NOT NULL CHECK (status IN ('open','resolved','expired')),
        detail      text,
        prompt      text,
        created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        expires_at  timestamptz NOT NULL,
        resolved_at timestamptz,
        resolved_by text,
        action      text CHECK (action IN ('resume','retry','approve','reject','abort')),
        note        text
      )`);
    await q.query(
      `CREATE UNIQUE INDEX escalations_one_open_per_node ON escalations (run_id, node_id) WHERE status = 'open'`,
    );
    await q.query(`CREATE INDEX escalations_by_status ON escalations (status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX escalations_by_run ON escalations (run_id)`);
    await q.query(`CREATE INDEX escalations_due ON escalations (expires_at) WHERE status = 'open'`);

    // Append-only audit trail. Each entry is chained (SHA-256) to the previous entry of its run.
    await q.query(`
      CREATE TABLE audit_entries (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        operation  text NOT NULL,
        run_id     uuid,
        node_id    text,
        workflow   text,
        agent_id   text,
        user_id    text,
        issuer     text,
        scopes     text[],
        target     text,
        success    boolean NOT NULL,
        error      text,
        details    jsonb,
        run_seq    integer,
        prev_hash  bytea,
        hash       bytea NOT NULL   -- set by baton_audit_chain()
      )`);
    await q.query(`CREATE UNIQUE INDEX audit_run_chain ON audit_entries (run_id, run_seq) WHERE run_id IS NOT NULL`);
    await q.query(`CREATE INDEX audit_by_at ON audit_entries (at, id)`);
    await q.query(`CREATE INDEX audit_by_user ON audit_entries (user_id, at, id)`);
    await q.query(`CREATE INDEX audit_by_operation ON audit_entries (operation, at, id)`);
    await q.query(`CREATE INDEX audit_by_workflow ON audit_entries (workflow, at, id)`);
    await q.query(`CREATE INDEX audit_by_agent ON audit_entries (agent_id, at, id)`);

    await q.query(`
      CREATE FUNCTION baton_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    // The hash chain is kept by the database itself, so no writer can forget or fake it: each row's
    // hash covers its content and the previous row's hash in the same run (serialised per run by an
    // advisory lock). verify recomputes baton_audit_hash over the stored rows.
    await q.query(`
      CREATE FUNCTION baton_audit_hash(e audit_entries) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
        SELECT sha256(convert_to(jsonb_build_array(
          encode(coalesce(e.prev_hash, ''::bytea), 'hex'), e.run_seq, e.operation,
          (extract(epoch FROM e.at) * 1000000)::bigint, e.run_id, e.node_id, e.workflow, e.agent_id,
          e.user_id, e.issuer, e.scopes, e.target, e.success, e.error, e.details)::text, 'UTF8'))
      $$`);
    await q.query(`
      CREATE FUNCTION baton_audit_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
      DECLARE last audit_entries%ROWTYPE;
      BEGIN
        IF NEW.run_id IS NOT NULL THEN
          PERFORM pg_advisory_xact_lock(hashtextextended(NEW.run_id::text, 6565));
          SELECT * INTO last FROM audit_entries WHERE run_id = NEW.run_id ORDER BY run_seq DESC LIMIT 1;
          NEW.run_seq := coalesce(last.run_seq, 0) + 1;
          NEW.prev_hash := last.hash;
        ELSE
          NEW.run_seq := NULL;
          NEW.prev_hash := NULL;
        END IF;
        NEW.hash := baton_audit_hash(NEW);
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER audit_entries_chain BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION baton_audit_chain()`,
    );
    await q.query(
      `CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION baton_refuse_change()`,
    );
    await q.query(
      `CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION baton_refuse_change()`,
    );
    await q.query(
      `CREATE TRIGGER workflow_versions_immutable BEFORE UPDATE OR DELETE ON workflow_versions FOR EACH ROW EXECUTE FUNCTION baton_refuse_change()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION baton_audit_chain() CASCADE`);
    await q.query(`DROP TABLE audit_entries CASCADE`);
    await q.query(`DROP TABLE escalations`);
    await q.query(`DROP TABLE node_runs`);
    await q.query(`DROP TABLE runs`);
    await q.query(`DROP TABLE workflow_versions`);
    await q.query(`DROP TABLE workflows`);
    await q.query(`DROP FUNCTION baton_refuse_change()`);
  }
}
