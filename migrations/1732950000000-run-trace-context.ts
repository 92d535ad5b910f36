import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §16 "a W3C traceparent sent with a run start reaches that run's downstream calls": the run
 * keeps the caller's `traceparent`, and every claim hands it to the worker with the rest of the run
 * (baton_claim gains the attribute). baton_start_run takes it as one more argument and
 * baton_complete_nodes returns it; their bodies are otherwise those of migration 1732500000000.
 */
export class RunTraceContext1732950000000 implements MigrationInterface {
  name = 'RunTraceContext1732950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN traceparent text`);
    await q.query(`ALTER TYPE baton_claim ADD ATTRIBUTE traceparent text`);
    await q.query(claimRow(true));
    await q.query(`DROP FUNCTION baton_complete_nodes(jsonb)`);
    await q.query(completeNodes(true));
    await q.query(
      `DROP FUNCTION baton_start_run(uuid, text, integer, boolean, text, jsonb, text, text, text[], bytea, text, timestamptz, text, jsonb)`,
    );
    await q.query(startRun(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION baton_start_run(uuid, text, integer, boolean, text, jsonb, text, text, text[], bytea, text, timestamptz, text, jsonb, text)`,
    );
    await q.query(startRun(false));
    await q.query(`DROP FUNCTION baton_complete_nodes(jsonb)`);
    await q.query(completeNodes(false));
    await q.query(`ALTER TYPE baton_claim DROP ATTRIBUTE traceparent`);
    await q.query(claimRow(false));
    await q.query(`ALTER TABLE runs DROP COLUMN traceparent`);
  }
}

function claimRow(traced: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION baton_claim_row(p_run uuid, p_node text, p_attempt integer) RETURNS baton_claim
      LANGUAGE plpgsql STABLE AS $$
      DECLARE result baton_claim; node_refs text[];
      BEGIN
        SELECT refs INTO node_refs FROM node_runs WHERE run_id = p_run AND node_id = p_node;
        SELECT p_node, p_attempt, r.workflow_name, r.workflow_version, r.agent_id, r.input, r.user_iss, r.user_sub, r.user_scopes,
               r.subject_token_ciphertext, r.subject_token_key_id, r.subject_token_expires_at,
               (SELECT coalesce(jsonb_object_agg(n.node_id, jsonb_build_object('output', n.output)), '{}'::jsonb)
                  FROM node_runs n WHERE n.run_id = p_run AND n.status = 'succeeded' AND (node_refs IS NULL OR n.node_id = ANY(node_refs)))
               ${traced ? ', r.traceparent' : ''}
        INTO result FROM runs r WHERE r.id = p_run;
        RETURN result;
      END $$`;
}

function completeNodes(traced: boolean): string {
  return `
      CREATE FUNCTION baton_complete_nodes(p_items jsonb)
      RETURNS TABLE(item integer, settled boolean, queued text[], node_id text, attempt integer, workflow_name text, workflow_version integer,
                    agent_id text, input jsonb, user_iss text, user_sub text, user_scopes text[], subject_token_ciphertext bytea,
                    subject_token_key_id text, subject_token_expires_at timestamptz, outputs jsonb${traced ? ', traceparent text' : ''})
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
          ${traced ? 'traceparent := (c.next).traceparent;' : ''}
          RETURN NEXT;
        END LOOP;
      END $$`;
}

export function startRun(traced: boolean): string {
  return `
      CREATE FUNCTION baton_start_run(p_id uuid, p_workflow text, p_version integer, p_expect_latest boolean, p_agent text, p_input jsonb,
                                      p_iss text, p_sub text, p_scopes text[], p_ciphertext bytea, p_key_id text, p_expires_at timestamptz,
                                      p_idempotency_key text, p_nodes jsonb${traced ? ', p_traceparent text' : ''})
      RETURNS TABLE(r_outcome text, r_id uuid, r_created_at timestamptz) LANGUAGE plpgsql AS $$
      BEGIN
        IF p_expect_latest AND (SELECT latest_version FROM workflows WHERE name = p_workflow) IS DISTINCT FROM p_version THEN
          RETURN QUERY SELECT 'stale'::text, NULL::uuid, NULL::timestamptz;
          RETURN;
        END IF;
        INSERT INTO runs (id, workflow_name, workflow_version, agent_id, status, input, user_iss, user_sub, user_scopes,
                          subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, idempotency_key${traced ? ', traceparent' : ''})
        VALUES (p_id, p_workflow, p_version, p_agent, 'pending', p_input, p_iss, p_sub, p_scopes, p_ciphertext, p_key_id, p_expires_at,
                p_idempotency_key${traced ? ', p_traceparent' : ''})
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
      END $$`;
}
