import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The engine's hot path as SQL functions (issue "a lean engine"): each transition of a node is one
 * statement — one round trip, planned once per connection (plpgsql caches its plans) — that writes
 * the node row, the run row and the transition's audit rows together.
 *
 * - The per-run hash chain no longer locks an advisory key and reads the run's last audit row for
 *   every entry: the run row carries the chain head (`audit_seq`, `audit_head`), locked and advanced
 *   by the trigger. `at` is taken after that lock, so a run's entries are in time order (`at` used to
 *   be taken before the lock, and under load an entry could carry an earlier `at` than the one
 *   chained before it). The hash bytes are those of `baton_audit_hash`, which verify recomputes.
 * - `node_runs.carrier` names the BullMQ job that carries an attempt. A worker that finishes a node
 *   claims the next one of a linear chain in the same statement and runs it inside the same job; if it
 *   dies, the job is re-delivered and takes over the attempts it carried (see NodeRunStore).
 *
 * Status and operation literals here are the schema's vocabulary, like the CHECK constraints of the
 * initial schema; they match libs/workflow/src/domain.
 */
export class LeanEngine1732500000000 implements MigrationInterface {
  name = 'LeanEngine1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN audit_seq integer NOT NULL DEFAULT 0, ADD COLUMN audit_head bytea`);
    await q.query(`
      UPDATE runs r SET audit_seq = last.run_seq, audit_head = last.hash
      FROM (SELECT DISTINCT ON (run_id) run_id, run_seq, hash FROM audit_entries WHERE run_id IS NOT NULL ORDER BY run_id, run_seq DESC) last
      WHERE last.run_id = r.id`);
    await q.query(`ALTER TABLE node_runs ADD COLUMN carrier text`);
    // A re-delivered job looks up the attempts it carried; only running rows matter.
    await q.query(`CREATE INDEX node_runs_carried ON node_runs (carrier) WHERE status = 'running'`);
    // The nodes whose output this node's templates read: its claim loads those alone (NULL: rows
    // from before this migration, which load every finished node's output as they used to).
    await q.query(`ALTER TABLE node_runs ADD COLUMN refs text[]`);

    // The chain trigger. Entries of a run that has a row in runs chain on that row, and their `at` is
    // taken under its lock; entries naming a run id without one (imports, tests) keep the old
    // advisory-lock path and the `at` they were given.
    await q.query(`
      CREATE OR REPLACE FUNCTION baton_audit_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
      DECLARE last audit_entries%ROWTYPE; seq integer; head bytea; on_run boolean := false;
      BEGIN
        IF NEW.run_id IS NULL THEN
          NEW.run_seq := NULL;
          NEW.prev_hash := NULL;
        ELSE
          SELECT audit_seq, audit_head INTO seq, head FROM runs WHERE id = NEW.run_id FOR UPDATE;
          on_run := FOUND;
          IF on_run THEN
            NEW.run_seq := seq + 1;
            NEW.prev_hash := head;
            NEW.at := date_trunc('milliseconds', clock_timestamp());
          ELSE
            PERFORM pg_advisory_xact_lock(hashtextextended(NEW.run_id::text, 6565));
            SELECT * INTO last FROM audit_entries WHERE run_id = NEW.run_id ORDER BY run_seq DESC LIMIT 1;
            NEW.run_seq := coalesce(last.run_seq, 0) + 1;
            NEW.prev_hash := last.hash;
          END IF;
        END IF;
        -- Inline copy of baton_audit_hash(NEW): a SQL function called per row is planned per row.
        NEW.hash := sha256(convert_to(jsonb_build_array(
          encode(coalesce(NEW.prev_hash, ''::bytea), 'hex'), NEW.run_seq, NEW.operation,
          (extract(epoch FROM NEW.at) * 1000000)::bigint, NEW.run_id, NEW.node_id, NEW.workflow, NEW.agent_id,
          NEW.user_id, NEW.issuer, NEW.scopes, NEW.target, NEW.success, NEW.error, NEW.details)::text, 'UTF8'));
        IF on_run THEN
          UPDATE runs SET audit_seq = NEW.run_seq, audit_head = NEW.hash WHERE id = NEW.run_id;
        END IF;
        RETURN NEW;
      END $$`);

    // Audit rows of a run from a JSON array of {operation, node_id, scopes, target, success, error,
    // details}, in array order; the run's facts (workflow, agent, user) come from its row.
    await q.query(`
      CREATE FUNCTION baton_write_audits(p_run uuid, p_audits jsonb) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF p_audits IS NULL OR jsonb_array_length(p_audits) = 0 THEN RETURN; END IF;
        INSERT INTO audit_entries (operation, run_id, node_id, workflow, agent_id, user_id, issuer, scopes, target, success, error, details)
        SELECT a.operation, p_run, a.node_id, r.workflow_name, r.agent_id, r.user_sub, r.user_iss, a.scopes, a.target,
               coalesce(a.success, true), a.error, a.details
        FROM runs r,
             ROWS FROM (jsonb_to_recordset(p_audits)
               AS (operation text, node_id text, scopes text[], target text, success boolean, error text, details jsonb)) WITH ORDINALITY
               AS a(operation, node_id, scopes, target, success, error, details, ord)
        WHERE r.id = p_run
        ORDER BY a.ord;
      END $$`);

    // What executing a claimed node needs, returned by every claim.
    await q.query(`
      CREATE TYPE baton_claim AS (
        node_id text, attempt integer, workflow_name text, workflow_version integer, agent_id text, input jsonb,
        user_iss text, user_sub text, user_scopes text[], subject_token_ciphertext bytea, subject_token_key_id text,
        subject_token_expires_at timestamptz, outputs jsonb)`);

    await q.query(`
      CREATE FUNCTION baton_claim_row(p_run uuid, p_node text, p_attempt integer) RETURNS baton_claim
      LANGUAGE plpgsql STABLE AS $$
      DECLARE result baton_claim; node_refs text[];
      BEGIN
        SELECT refs INTO node_refs FROM node_runs WHERE run_id = p_run AND node_id = p_node;
        SELECT p_node, p_attempt, r.workflow_name, r.workflow_version, r.agent_id, r.input, r.user_iss, r.user_sub, r.user_scopes,
               r.subject_token_ciphertext, r.subject_token_key_id, r.subject_token_expires_at,
               (SELECT coalesce(jsonb_object_agg(n.node_id, jsonb_build_object('output', n.output)), '{}'::jsonb)
                  FROM node_runs n WHERE n.run_id = p_run AND n.status = 'succeeded' AND (node_refs IS NULL OR n.node_id = ANY(node_refs)))
        INTO result FROM runs r WHERE r.id = p_run;
        RETURN result;
      END $$`);

    // Claim a queued attempt (or take over a crashed worker's running one with the same attempt).
    // Nothing is claimed when the step was already taken or the run is over.
    await q.query(`
      CREATE FUNCTION baton_claim_node(p_run uuid, p_node text, p_attempt integer, p_carrier text)
      RETURNS SETOF baton_claim LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE node_runs SET status = 'running', attempts = p_attempt, started_at = coalesce(started_at, now()), updated_at = now(), carrier = p_carrier
        WHERE run_id = p_run AND node_id = p_node
          AND ((status = 'queued' AND attempts = p_attempt - 1) OR (status = 'running' AND attempts = p_attempt))
          AND EXISTS (SELECT 1 FROM runs WHERE id = p_run AND status IN ('pending', 'running', 'waiting_for_human'));
        IF NOT FOUND THEN RETURN; END IF;
        UPDATE runs SET status = 'running', started_at = now(), updated_at = now() WHERE id = p_run AND status = 'pending';
        PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'node.started', 'node_id', p_node, 'details', jsonb_build_object('attempt', p_attempt))));
        RETURN NEXT baton_claim_row(p_run, p_node, p_attempt);
      END $$`);

    // A failed node (or a rejection, abort, expiry) fails the run: nodes not started are skipped,
    // other nodes waiting for a human fail, their escalations are closed by Baton. Returns the ids of
    // the escalations it closed (their webhook events go out after commit). The caller holds the run lock.
    await q.query(`
      CREATE FUNCTION baton_fail_run(p_run uuid, p_node text, p_error jsonb) RETURNS text[] LANGUAGE plpgsql AS $$
      DECLARE closed text[];
      BEGIN
        UPDATE runs SET status = 'failed', error = p_error || jsonb_build_object('nodeId', p_node), finished_at = now(), updated_at = now(),
                        subject_token_ciphertext = NULL, subject_token_key_id = NULL
        WHERE id = p_run AND status IN ('pending', 'running', 'waiting_for_human');
        IF NOT FOUND THEN RETURN '{}'; END IF;
        UPDATE node_runs SET status = 'skipped', updated_at = now() WHERE run_id = p_run AND status IN ('pending', 'queued');
        UPDATE node_runs SET status = 'failed', finished_at = now(), updated_at = now(), error = '{"code":"aborted","message":"the run failed"}'::jsonb
        WHERE run_id = p_run AND status = 'waiting_for_human';
        closed := baton_close_escalations(p_run, 'run failed');
        PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'run.failed', 'node_id', p_node, 'success', false, 'error', p_error->>'code')));
        RETURN closed;
      END $$`);

    await q.query(`
      CREATE FUNCTION baton_close_escalations(p_run uuid, p_note text) RETURNS text[] LANGUAGE plpgsql AS $$
      DECLARE closed jsonb;
      BEGIN
        WITH c AS (
          UPDATE escalations SET status = 'resolved', action = 'abort', resolved_by = 'baton', resolved_at = now(), note = p_note
          WHERE run_id = p_run AND status = 'open' RETURNING id, node_id, created_at
        )
        SELECT jsonb_agg(jsonb_build_object('id', id, 'node_id', node_id) ORDER BY created_at, id) INTO closed FROM c;
        IF closed IS NULL THEN RETURN '{}'; END IF;
        PERFORM baton_write_audits(p_run, (
          SELECT jsonb_agg(jsonb_build_object('operation', 'escalation.resolved', 'node_id', e->>'node_id',
                   'details', jsonb_build_object('escalationId', e->>'id', 'by', 'baton', 'action', 'abort', 'note', p_note)) ORDER BY ord)
          FROM jsonb_array_elements(closed) WITH ORDINALITY AS x(e, ord)));
        RETURN ARRAY(SELECT e->>'id' FROM jsonb_array_elements(closed) e);
      END $$`);

    // A node succeeded (from running, or from waiting_for_human when a human approved): record it
    // with the attempt's audit rows, then advance the run. p_successors lists, in definition order,
    // the nodes that depend on p_node with their dependencies ({id, deps}); those whose dependencies all succeeded become ready. With p_carrier set,
    // the first ready node is claimed for that job at once (the worker goes on with it) and the rest
    // are queued; without, all are queued. When nothing is left, the run succeeds.
    await q.query(`
      CREATE TYPE baton_completion AS (settled boolean, queued text[], next baton_claim)`);
    await q.query(`
      CREATE FUNCTION baton_complete_node(p_run uuid, p_node text, p_attempt integer, p_output jsonb, p_scopes text[],
                                          p_audits jsonb, p_successors jsonb, p_carrier text)
      RETURNS baton_completion LANGUAGE plpgsql AS $$
      DECLARE run_status text; ready text[]; result baton_completion;
      BEGIN
        result.settled := false;
        result.queued := '{}';
        SELECT status INTO run_status FROM runs WHERE id = p_run FOR UPDATE;
        UPDATE node_runs SET status = 'succeeded', output = p_output, error = NULL, granted_scopes = coalesce(p_scopes, granted_scopes),
                             finished_at = now(), updated_at = now()
        WHERE run_id = p_run AND node_id = p_node
          AND CASE WHEN p_attempt IS NULL THEN status = 'waiting_for_human' ELSE status = 'running' AND attempts = p_attempt END;
        IF NOT FOUND THEN RETURN result; END IF;
        result.settled := true;
        PERFORM baton_write_audits(p_run, coalesce(p_audits, '[]'::jsonb)
          || jsonb_build_array(jsonb_build_object('operation', 'node.succeeded', 'node_id', p_node, 'scopes', to_jsonb(p_scopes))));
        -- A cancelled or failed run records the result and starts nothing new.
        IF run_status NOT IN ('running', 'waiting_for_human') THEN RETURN result; END IF;

        SELECT coalesce(array_agg(s->>'id' ORDER BY ord), '{}') INTO ready
        FROM jsonb_array_elements(coalesce(p_successors, '[]'::jsonb)) WITH ORDINALITY AS x(s, ord)
        JOIN node_runs n ON n.run_id = p_run AND n.node_id = s->>'id' AND n.status = 'pending'
        WHERE NOT EXISTS (
          SELECT 1 FROM jsonb_array_elements_text(s->'deps') d
          LEFT JOIN node_runs dn ON dn.run_id = p_run AND dn.node_id = d
          WHERE dn.status IS DISTINCT FROM 'succeeded');

        IF cardinality(ready) = 0 THEN
          IF NOT EXISTS (SELECT 1 FROM node_runs WHERE run_id = p_run AND status <> 'succeeded') THEN
            UPDATE runs SET status = 'succeeded', error = NULL, finished_at = now(), updated_at = now(),
                            subject_token_ciphertext = NULL, subject_token_key_id = NULL
            WHERE id = p_run AND status IN ('running', 'waiting_for_human');
            PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'run.succeeded')));
          END IF;
          RETURN result;
        END IF;

        IF p_carrier IS NOT NULL THEN
          UPDATE node_runs SET status = 'running', attempts = 1, queued_at = now(), started_at = now(), updated_at = now(), carrier = p_carrier
          WHERE run_id = p_run AND node_id = ready[1] AND status = 'pending';
          PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'node.started', 'node_id', ready[1], 'details', jsonb_build_object('attempt', 1))));
          result.next := baton_claim_row(p_run, ready[1], 1);
          ready := ready[2:];
        END IF;
        UPDATE node_runs SET status = 'queued', queued_at = now(), updated_at = now() WHERE run_id = p_run AND node_id = ANY(ready) AND status = 'pending';
        result.queued := ready;
        RETURN result;
      END $$`);

    // Many completions in one statement (and one commit): the worker batches the completions that
    // arrive in the same turn of its event loop. Runs are locked in id order, so two batches never
    // deadlock on each other; the rows come back tagged with their position in the batch.
    await q.query(`
      CREATE FUNCTION baton_complete_nodes(p_items jsonb)
      RETURNS TABLE(item integer, settled boolean, queued text[], node_id text, attempt integer, workflow_name text, workflow_version integer,
                    agent_id text, input jsonb, user_iss text, user_sub text, user_scopes text[], subject_token_ciphertext bytea,
                    subject_token_key_id text, subject_token_expires_at timestamptz, outputs jsonb)
      LANGUAGE plpgsql AS $$
      DECLARE i record; c baton_completion;
      BEGIN
        FOR i IN SELECT x.value AS v, x.ord FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(value, ord)
                 ORDER BY (x.value->>'run')::uuid, x.ord LOOP
          c := baton_complete_node((i.v->>'run')::uuid, i.v->>'node', (i.v->>'attempt')::integer, i.v->'output',
                 CASE WHEN jsonb_typeof(i.v->'scopes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(i.v->'scopes')) END,
                 i.v->'audits', i.v->'successors', i.v->>'carrier');
          item := i.ord::integer - 1;
          settled := c.settled;
          queued := c.queued;
          node_id := (c.next).node_id;
          attempt := (c.next).attempt;
          workflow_name := (c.next).workflow_name;
          workflow_version := (c.next).workflow_version;
          agent_id := (c.next).agent_id;
          input := (c.next).input;
          user_iss := (c.next).user_iss;
          user_sub := (c.next).user_sub;
          user_scopes := (c.next).user_scopes;
          subject_token_ciphertext := (c.next).subject_token_ciphertext;
          subject_token_key_id := (c.next).subject_token_key_id;
          subject_token_expires_at := (c.next).subject_token_expires_at;
          outputs := (c.next).outputs;
          RETURN NEXT;
        END LOOP;
      END $$`);

    // The other outcomes of a running attempt: retry (back to queued after a delay), failed (fails
    // the run), escalate (waits for a human; opens the escalation). Once the run is over a retry or an
    // escalation is recorded as the node's failure instead. Returns what to schedule after commit.
    await q.query(`
      CREATE TYPE baton_settlement AS (settled boolean, kind text, closed text[], escalation_id uuid, expires_at timestamptz)`);
    await q.query(`
      CREATE FUNCTION baton_settle_node(p_run uuid, p_node text, p_attempt integer, p_kind text, p_error jsonb, p_scopes text[],
                                        p_audits jsonb, p_delay_ms integer, p_escalation jsonb, p_escalation_ttl_seconds integer)
      RETURNS baton_settlement LANGUAGE plpgsql AS $$
      DECLARE run_status text; result baton_settlement; kind text := p_kind; err jsonb := p_error;
      BEGIN
        result.settled := false;
        result.closed := '{}';
        SELECT status INTO run_status FROM runs WHERE id = p_run FOR UPDATE;
        IF run_status NOT IN ('running', 'waiting_for_human') AND kind IN ('retry', 'escalate') THEN
          IF kind = 'escalate' THEN err := jsonb_build_object('code', p_escalation->>'reason', 'message', p_escalation->>'detail'); END IF;
          kind := 'failed';
        END IF;
        result.kind := kind;
        UPDATE node_runs SET
          status = CASE kind WHEN 'retry' THEN 'queued' WHEN 'escalate' THEN 'waiting_for_human' ELSE 'failed' END,
          error = CASE WHEN kind = 'escalate' THEN NULL ELSE err END,
          granted_scopes = coalesce(p_scopes, granted_scopes),
          finished_at = CASE WHEN kind = 'failed' THEN now() ELSE finished_at END,
          queued_at = CASE WHEN kind = 'retry' THEN now() + make_interval(secs => p_delay_ms / 1000.0) ELSE queued_at END,
          updated_at = now()
        WHERE run_id = p_run AND node_id = p_node AND status = 'running' AND attempts = p_attempt;
        IF NOT FOUND THEN RETURN result; END IF;
        result.settled := true;
        PERFORM baton_write_audits(p_run, coalesce(p_audits, '[]'::jsonb));
        IF kind = 'failed' THEN
          PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'node.failed', 'node_id', p_node, 'success', false,
                    'error', err->>'code', 'details', jsonb_build_object('message', err->>'message'))));
          IF run_status IN ('pending', 'running', 'waiting_for_human') THEN
            result.closed := baton_fail_run(p_run, p_node, err);
          END IF;
        ELSIF kind = 'escalate' THEN
          result.escalation_id := (p_escalation->>'id')::uuid;
          INSERT INTO escalations (id, run_id, node_id, reason, status, detail, prompt, expires_at)
          VALUES (result.escalation_id, p_run, p_node, p_escalation->>'reason', 'open', p_escalation->>'detail', p_escalation->>'prompt',
                  now() + make_interval(secs => p_escalation_ttl_seconds))
          RETURNING expires_at INTO result.expires_at;
          UPDATE runs SET status = 'waiting_for_human', updated_at = now() WHERE id = p_run AND status = 'running';
          PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'escalation.created', 'node_id', p_node,
                    'details', jsonb_build_object('escalationId', result.escalation_id, 'reason', p_escalation->>'reason'))));
        END IF;
        RETURN result;
      END $$`);

    // A run start in one statement: the run, its node rows (roots queued) and run.started. With
    // p_expect_latest the caller validated the input against what it believes is the latest version;
    // 'stale' says another version was posted since (it refreshes and tries again). An
    // Idempotency-Key already used by this user answers 'exists' with the earlier run's id.
    await q.query(`
      CREATE FUNCTION baton_start_run(p_id uuid, p_workflow text, p_version integer, p_expect_latest boolean, p_agent text, p_input jsonb,
                                      p_iss text, p_sub text, p_scopes text[], p_ciphertext bytea, p_key_id text, p_expires_at timestamptz,
                                      p_idempotency_key text, p_nodes jsonb)
      RETURNS TABLE(r_outcome text, r_id uuid, r_created_at timestamptz) LANGUAGE plpgsql AS $$
      BEGIN
        IF p_expect_latest AND (SELECT latest_version FROM workflows WHERE name = p_workflow) IS DISTINCT FROM p_version THEN
          RETURN QUERY SELECT 'stale'::text, NULL::uuid, NULL::timestamptz;
          RETURN;
        END IF;
        INSERT INTO runs (id, workflow_name, workflow_version, agent_id, status, input, user_iss, user_sub, user_scopes,
                          subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, idempotency_key)
        VALUES (p_id, p_workflow, p_version, p_agent, 'pending', p_input, p_iss, p_sub, p_scopes, p_ciphertext, p_key_id, p_expires_at, p_idempotency_key)
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

    // Cancel (SPEC §4): at once; nodes not started and nodes waiting for a human are cancelled, open
    // escalations closed. Returns the closed escalations' ids, or NULL when the run was already over.
    await q.query(`
      CREATE FUNCTION baton_cancel_run(p_run uuid, p_by text) RETURNS text[] LANGUAGE plpgsql AS $$
      DECLARE closed text[];
      BEGIN
        UPDATE runs SET status = 'cancelled', finished_at = now(), updated_at = now(), subject_token_ciphertext = NULL, subject_token_key_id = NULL
        WHERE id = p_run AND status IN ('pending', 'running', 'waiting_for_human');
        IF NOT FOUND THEN RETURN NULL; END IF;
        UPDATE node_runs SET status = 'cancelled', updated_at = now() WHERE run_id = p_run AND status IN ('pending', 'queued', 'waiting_for_human');
        closed := baton_close_escalations(p_run, 'run cancelled');
        PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'run.cancelled', 'details', jsonb_build_object('by', p_by))));
        RETURN closed;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION baton_cancel_run(uuid, text)`);
    await q.query(
      `DROP FUNCTION baton_start_run(uuid, text, integer, boolean, text, jsonb, text, text, text[], bytea, text, timestamptz, text, jsonb)`,
    );
    await q.query(
      `DROP FUNCTION baton_settle_node(uuid, text, integer, text, jsonb, text[], jsonb, integer, jsonb, integer)`,
    );
    await q.query(`DROP TYPE baton_settlement`);
    await q.query(`DROP FUNCTION baton_complete_nodes(jsonb)`);
    await q.query(`DROP FUNCTION baton_complete_node(uuid, text, integer, jsonb, text[], jsonb, jsonb, text)`);
    await q.query(`DROP TYPE baton_completion`);
    await q.query(`DROP FUNCTION baton_fail_run(uuid, text, jsonb)`);
    await q.query(`DROP FUNCTION baton_close_escalations(uuid, text)`);
    await q.query(`DROP FUNCTION baton_claim_node(uuid, text, integer, text)`);
    await q.query(`DROP FUNCTION baton_claim_row(uuid, text, integer)`);
    await q.query(`DROP TYPE baton_claim`);
    await q.query(`DROP FUNCTION baton_write_audits(uuid, jsonb)`);
    await q.query(`
      CREATE OR REPLACE FUNCTION baton_audit_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
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
    await q.query(`DROP INDEX node_runs_carried`);
    await q.query(`ALTER TABLE node_runs DROP COLUMN carrier, DROP COLUMN refs`);
    await q.query(`ALTER TABLE runs DROP COLUMN audit_seq, DROP COLUMN audit_head`);
  }
}
