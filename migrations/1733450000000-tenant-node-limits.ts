import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §12.1 `maxConcurrentNodes`: admission control in Postgres, across all workers.
 *
 * - `tenant_limits` holds the limited tenants (synced from the configuration at boot). A tenant
 *   without a row is unlimited and takes none of the paths below beyond one probe of this table.
 * - A node of a limited tenant holds a *slot* while it is handed out (queued with a job) or
 *   running: `node_runs.slot_tenant` names the tenant, and the slots in use are the rows of the
 *   partial index `node_runs_tenant_slots` (status queued or running), so a node that succeeds,
 *   fails, waits for a human, is skipped or cancelled gives its slot back by changing status.
 * - A node that becomes ready while its tenant has no free slot is *parked*: queued, with
 *   `parked_tenant` set, no job, and not claimable. `baton_fill_tenant` hands the oldest due parked
 *   nodes out while slots are free and announces them on `baton_nodes_ready` (delivered at commit;
 *   every worker enqueues them; the sweeper fills every limited tenant on each tick as a backstop).
 * - A step of a linear chain passes its slot to the next node (no count, no lock); fan-out, retries
 *   and new runs park and fill. `workflow` nodes never take a slot: a parent waiting on its child
 *   would otherwise hold the slot the child needs.
 * - Counting is serialized per tenant by a transaction-scoped advisory lock taken only for limited
 *   tenants, and always *last*: after it a transaction waits for no other lock (it hands out rows
 *   with SKIP LOCKED), so it can close no deadlock cycle. Hence the fill runs at the end of the
 *   outermost statement (not inside the tree trigger, after the whole batch of completions).
 *
 * Function bodies are those of migrations 1732500000000, 1732950000000 and 1733260000000 with the
 * lines about slots added; the public functions keep their signatures.
 */
export class TenantNodeLimits1733450000000 implements MigrationInterface {
  name = 'TenantNodeLimits1733450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_limits (
        tenant               text PRIMARY KEY,
        max_concurrent_nodes integer NOT NULL CHECK (max_concurrent_nodes > 0)
      )`);
    await q.query(`ALTER TABLE node_runs ADD COLUMN slot_tenant text, ADD COLUMN parked_tenant text`);
    await q.query(
      `CREATE INDEX node_runs_tenant_slots ON node_runs (slot_tenant) WHERE slot_tenant IS NOT NULL AND status IN ('queued', 'running')`,
    );
    await q.query(
      `CREATE INDEX node_runs_parked ON node_runs (parked_tenant, queued_at) WHERE parked_tenant IS NOT NULL AND status = 'queued'`,
    );

    // Hands out the tenant's oldest due parked nodes while it has free slots (all of them once the
    // tenant has no limit any more). Takes the tenant's lock; returns how many it handed out.
    await q.query(`
      CREATE FUNCTION baton_fill_tenant(p_tenant text) RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE cap integer; room bigint; handed integer;
      BEGIN
        SELECT max_concurrent_nodes INTO cap FROM tenant_limits WHERE tenant = p_tenant;
        PERFORM pg_advisory_xact_lock(${TENANT_LOCK_SPACE}, hashtext(p_tenant));
        room := CASE WHEN cap IS NULL THEN 2147483647
                     ELSE cap - (SELECT count(*) FROM node_runs WHERE slot_tenant = p_tenant AND status IN ('queued', 'running')) END;
        IF room <= 0 THEN RETURN 0; END IF;
        WITH picked AS (
          SELECT run_id, node_id FROM node_runs
          WHERE parked_tenant = p_tenant AND status = 'queued' AND queued_at <= now()
          ORDER BY queued_at LIMIT room FOR UPDATE SKIP LOCKED
        ), handed_out AS (
          UPDATE node_runs n SET parked_tenant = NULL, slot_tenant = CASE WHEN cap IS NULL THEN NULL ELSE p_tenant END, updated_at = now()
          FROM picked p WHERE n.run_id = p.run_id AND n.node_id = p.node_id
          RETURNING n.run_id, n.node_id, n.attempts
        )
        SELECT count(pg_notify('baton_nodes_ready', jsonb_build_object('runId', run_id, 'nodes', jsonb_build_array(node_id),
                                 'attempt', attempts + 1, 'handedOut', true)::text))
        INTO handed FROM handed_out;
        RETURN handed;
      END $$`);

    // The fill at the end of a worker's statement: nothing for an unlimited tenant.
    await q.query(`
      CREATE FUNCTION baton_fill_run_tenant(p_run uuid) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE t text;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM tenant_limits) THEN RETURN; END IF;
        SELECT l.tenant INTO t FROM runs r JOIN tenant_limits l ON l.tenant = r.tenant WHERE r.id = p_run;
        IF FOUND THEN PERFORM baton_fill_tenant(t); END IF;
      END $$`);

    // Every tenant that is limited or still has parked nodes (the sweeper's backstop).
    await q.query(`
      CREATE FUNCTION baton_fill_tenants() RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE t text; handed integer := 0;
      BEGIN
        FOR t IN SELECT tenant FROM tenant_limits
                 UNION SELECT DISTINCT parked_tenant FROM node_runs WHERE parked_tenant IS NOT NULL AND status = 'queued'
                 ORDER BY 1 LOOP
          handed := handed + baton_fill_tenant(t);
        END LOOP;
        RETURN handed;
      END $$`);

    // New node rows (a run or child run start, in one INSERT): a limited tenant's queued roots park,
    // then the tenant fills. One probe of tenant_limits per start otherwise.
    await q.query(`
      CREATE FUNCTION baton_gate_new_nodes() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE t text;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM tenant_limits) THEN RETURN NULL; END IF;
        FOR t IN SELECT DISTINCT l.tenant FROM added a JOIN runs r ON r.id = a.run_id JOIN tenant_limits l ON l.tenant = r.tenant
                 WHERE a.status = 'queued' ORDER BY 1 LOOP
          UPDATE node_runs n SET parked_tenant = t
          FROM added a JOIN runs r ON r.id = a.run_id
          WHERE n.run_id = a.run_id AND n.node_id = a.node_id AND a.status = 'queued' AND a.type <> 'workflow' AND r.tenant = t;
          PERFORM baton_fill_tenant(t);
        END LOOP;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER node_runs_gate AFTER INSERT ON node_runs REFERENCING NEW TABLE AS added
      FOR EACH STATEMENT EXECUTE FUNCTION baton_gate_new_nodes()`);

    // A claim of a parked node (its retry came due, a stray job): admitted if the tenant has a free
    // slot, else refused. Locks the run and the node first, the tenant last.
    await q.query(`
      CREATE FUNCTION baton_admit_parked(p_run uuid, p_node text, p_attempt integer) RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE t text; cap integer;
      BEGIN
        -- Most refused claims are of nodes done already: no lock for those.
        IF NOT EXISTS (SELECT 1 FROM node_runs WHERE run_id = p_run AND node_id = p_node AND status = 'queued' AND parked_tenant IS NOT NULL) THEN
          RETURN false;
        END IF;
        PERFORM 1 FROM runs WHERE id = p_run FOR UPDATE;
        SELECT parked_tenant INTO t FROM node_runs
        WHERE run_id = p_run AND node_id = p_node AND status = 'queued' AND attempts = p_attempt - 1
          AND parked_tenant IS NOT NULL AND queued_at <= now()
        FOR UPDATE;
        IF t IS NULL THEN RETURN false; END IF;
        SELECT max_concurrent_nodes INTO cap FROM tenant_limits WHERE tenant = t;
        PERFORM pg_advisory_xact_lock(${TENANT_LOCK_SPACE}, hashtext(t));
        IF cap IS NOT NULL AND (SELECT count(*) FROM node_runs WHERE slot_tenant = t AND status IN ('queued', 'running')) >= cap THEN
          RETURN false;
        END IF;
        UPDATE node_runs SET parked_tenant = NULL, slot_tenant = CASE WHEN cap IS NULL THEN NULL ELSE t END
        WHERE run_id = p_run AND node_id = p_node;
        RETURN true;
      END $$`);

    await q.query(`
      CREATE OR REPLACE FUNCTION baton_claim_node(p_run uuid, p_node text, p_attempt integer, p_carrier text)
      RETURNS SETOF baton_claim LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE node_runs SET status = 'running', attempts = p_attempt, started_at = coalesce(started_at, now()), updated_at = now(), carrier = p_carrier
        WHERE run_id = p_run AND node_id = p_node AND parked_tenant IS NULL
          AND ((status = 'queued' AND attempts = p_attempt - 1) OR (status = 'running' AND attempts = p_attempt))
          AND EXISTS (SELECT 1 FROM runs WHERE id = p_run AND status IN ('pending', 'running', 'waiting_for_human'));
        IF NOT FOUND THEN
          -- Parked: claimable only if its tenant has a slot free now (a due retry, a stray job).
          IF NOT baton_admit_parked(p_run, p_node, p_attempt) THEN RETURN; END IF;
          UPDATE node_runs SET status = 'running', attempts = p_attempt, started_at = coalesce(started_at, now()), updated_at = now(), carrier = p_carrier
          WHERE run_id = p_run AND node_id = p_node AND status = 'queued' AND attempts = p_attempt - 1
            AND EXISTS (SELECT 1 FROM runs WHERE id = p_run AND status IN ('pending', 'running', 'waiting_for_human'));
          IF NOT FOUND THEN RETURN; END IF;
        END IF;
        UPDATE runs SET status = 'running', started_at = now(), updated_at = now() WHERE id = p_run AND status = 'pending';
        PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'node.started', 'node_id', p_node, 'details', jsonb_build_object('attempt', p_attempt))));
        RETURN NEXT baton_claim_row(p_run, p_node, p_attempt);
      END $$`);

    // A ready node claimed for the job that finished its predecessor (the worker goes on with it).
    await q.query(`
      CREATE FUNCTION baton_chain_claim(p_run uuid, p_node text, p_carrier text, p_slot text) RETURNS baton_claim LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE node_runs SET status = 'running', attempts = 1, queued_at = now(), started_at = now(), updated_at = now(), carrier = p_carrier,
                             slot_tenant = p_slot
        WHERE run_id = p_run AND node_id = p_node AND status = 'pending';
        PERFORM baton_write_audits(p_run, jsonb_build_array(jsonb_build_object('operation', 'node.started', 'node_id', p_node, 'details', jsonb_build_object('attempt', 1))));
        RETURN baton_claim_row(p_run, p_node, 1);
      END $$`);

    await q.query(`
      CREATE FUNCTION baton_complete_node_core(p_run uuid, p_node text, p_attempt integer, p_output jsonb, p_scopes text[],
                                               p_audits jsonb, p_successors jsonb, p_carrier text)
      RETURNS baton_completion LANGUAGE plpgsql AS $$
      DECLARE run_status text; tenant_name text; cap integer; held text; ready text[]; gated text[]; free text[]; result baton_completion;
      BEGIN
        result.settled := false;
        result.queued := '{}';
        SELECT r.status, r.tenant, l.max_concurrent_nodes INTO run_status, tenant_name, cap
        FROM runs r LEFT JOIN tenant_limits l ON l.tenant = r.tenant WHERE r.id = p_run FOR UPDATE OF r;
        UPDATE node_runs SET status = 'succeeded', output = p_output, error = NULL, granted_scopes = coalesce(p_scopes, granted_scopes),
                             finished_at = now(), updated_at = now()
        WHERE run_id = p_run AND node_id = p_node
          AND CASE WHEN p_attempt IS NULL THEN status = 'waiting_for_human' ELSE status = 'running' AND attempts = p_attempt END
        RETURNING slot_tenant INTO held;
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

        IF cap IS NULL THEN
          IF p_carrier IS NOT NULL THEN
            result.next := baton_chain_claim(p_run, ready[1], p_carrier, NULL);
            ready := ready[2:];
          END IF;
          UPDATE node_runs SET status = 'queued', queued_at = now(), updated_at = now() WHERE run_id = p_run AND node_id = ANY(ready) AND status = 'pending';
          result.queued := ready;
          RETURN result;
        END IF;

        -- A limited tenant: the next node of the chain takes this node's slot; other ready nodes park
        -- (the fill at the end of the statement hands them out); workflow nodes need no slot.
        SELECT coalesce(array_agg(x.id ORDER BY x.ord) FILTER (WHERE n.type <> 'workflow'), '{}'),
               coalesce(array_agg(x.id ORDER BY x.ord) FILTER (WHERE n.type = 'workflow'), '{}')
        INTO gated, free
        FROM unnest(ready) WITH ORDINALITY AS x(id, ord) JOIN node_runs n ON n.run_id = p_run AND n.node_id = x.id;
        IF p_carrier IS NOT NULL AND held IS NOT NULL AND cardinality(gated) > 0 THEN
          result.next := baton_chain_claim(p_run, gated[1], p_carrier, held);
          gated := gated[2:];
        ELSIF p_carrier IS NOT NULL AND cardinality(free) > 0 THEN
          result.next := baton_chain_claim(p_run, free[1], p_carrier, NULL);
          free := free[2:];
        END IF;
        UPDATE node_runs SET status = 'queued', queued_at = now(), updated_at = now(),
                             parked_tenant = CASE WHEN node_id = ANY(gated) THEN tenant_name END
        WHERE run_id = p_run AND node_id = ANY(gated || free) AND status = 'pending';
        result.queued := free;
        RETURN result;
      END $$`);

    await q.query(`
      CREATE OR REPLACE FUNCTION baton_complete_node(p_run uuid, p_node text, p_attempt integer, p_output jsonb, p_scopes text[],
                                                     p_audits jsonb, p_successors jsonb, p_carrier text)
      RETURNS baton_completion LANGUAGE plpgsql AS $$
      DECLARE result baton_completion;
      BEGIN
        result := baton_complete_node_core(p_run, p_node, p_attempt, p_output, p_scopes, p_audits, p_successors, p_carrier);
        -- Inside the tree trigger the outermost statement fills (a tree is one tenant).
        IF result.settled AND pg_trigger_depth() = 0 THEN PERFORM baton_fill_run_tenant(p_run); END IF;
        RETURN result;
      END $$`);

    await q.query(`
      CREATE OR REPLACE FUNCTION baton_complete_nodes(p_items jsonb)
      RETURNS TABLE(item integer, settled boolean, queued text[], node_id text, attempt integer, workflow_name text, workflow_version integer,
                    agent_id text, input jsonb, user_iss text, user_sub text, user_scopes text[], subject_token_ciphertext bytea,
                    subject_token_key_id text, subject_token_expires_at timestamptz, outputs jsonb, traceparent text)
      LANGUAGE plpgsql AS $$
      DECLARE i record; c baton_completion; t text;
      BEGIN
        FOR i IN SELECT x.value AS v, x.ord FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(value, ord)
                 ORDER BY (x.value->>'run')::uuid, x.ord LOOP
          c := baton_complete_node_core((i.v->>'run')::uuid, i.v->>'node', (i.v->>'attempt')::integer, i.v->'output',
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
          traceparent := (c.next).traceparent;
          RETURN NEXT;
        END LOOP;
        -- After every run of the batch is locked: the tenants' locks come last, in name order.
        IF EXISTS (SELECT 1 FROM tenant_limits) THEN
          FOR t IN SELECT DISTINCT l.tenant FROM jsonb_array_elements(p_items) x JOIN runs r ON r.id = (x->>'run')::uuid
                   JOIN tenant_limits l ON l.tenant = r.tenant ORDER BY 1 LOOP
            PERFORM baton_fill_tenant(t);
          END LOOP;
        END IF;
      END $$`);

    await q.query(`
      CREATE FUNCTION baton_settle_node_core(p_run uuid, p_node text, p_attempt integer, p_kind text, p_error jsonb, p_scopes text[],
                                             p_audits jsonb, p_delay_ms integer, p_escalation jsonb, p_escalation_ttl_seconds integer)
      RETURNS baton_settlement LANGUAGE plpgsql AS $$
      DECLARE run_status text; tenant_name text; cap integer; result baton_settlement; kind text := p_kind; err jsonb := p_error;
      BEGIN
        result.settled := false;
        result.closed := '{}';
        SELECT r.status, r.tenant, l.max_concurrent_nodes INTO run_status, tenant_name, cap
        FROM runs r LEFT JOIN tenant_limits l ON l.tenant = r.tenant WHERE r.id = p_run FOR UPDATE OF r;
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
          -- A retry of a limited tenant gives its slot back and waits for one again once due.
          slot_tenant = CASE WHEN kind = 'retry' THEN NULL ELSE slot_tenant END,
          parked_tenant = CASE WHEN kind = 'retry' AND cap IS NOT NULL AND type <> 'workflow' THEN tenant_name END,
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

    await q.query(`
      CREATE OR REPLACE FUNCTION baton_settle_node(p_run uuid, p_node text, p_attempt integer, p_kind text, p_error jsonb, p_scopes text[],
                                                   p_audits jsonb, p_delay_ms integer, p_escalation jsonb, p_escalation_ttl_seconds integer)
      RETURNS baton_settlement LANGUAGE plpgsql AS $$
      DECLARE result baton_settlement;
      BEGIN
        result := baton_settle_node_core(p_run, p_node, p_attempt, p_kind, p_error, p_scopes, p_audits, p_delay_ms, p_escalation,
                                         p_escalation_ttl_seconds);
        IF result.settled AND pg_trigger_depth() = 0 THEN PERFORM baton_fill_run_tenant(p_run); END IF;
        RETURN result;
      END $$`);

    // The security event's transaction goes on after pausing (and locks more runs): no fill here;
    // the slots it frees are filled by the tenant's next statement or the sweeper.
    await q.query(pauseQueuedNodes('baton_settle_node_core'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(pauseQueuedNodes('baton_settle_node'));
    // The public functions take back their previous bodies: the cores without the slot lines.
    await q.query(`DROP TRIGGER node_runs_gate ON node_runs`);
    await q.query(`DROP FUNCTION baton_gate_new_nodes()`);
    await q.query(`UPDATE node_runs SET parked_tenant = NULL WHERE parked_tenant IS NOT NULL`);
    await q.query(`DELETE FROM tenant_limits`);
    // With no limited tenant the cores behave as before; the wrappers stay until a later cleanup.
  }
}

/** The first key of the two-key advisory locks that serialize one tenant's slot count. */
const TENANT_LOCK_SPACE = 0x0ba7_0003;

/** baton_pause_queued_nodes of migration 1733260000000, settling through `settle` (the core here: no fill). */
function pauseQueuedNodes(settle: 'baton_settle_node' | 'baton_settle_node_core'): string {
  return `
      CREATE OR REPLACE FUNCTION baton_pause_queued_nodes(p_items jsonb)
      RETURNS TABLE(item integer, escalation_id uuid, expires_at timestamptz) LANGUAGE plpgsql AS $$
      DECLARE i record; s baton_settlement;
      BEGIN
        FOR i IN SELECT x.value AS v, x.ord FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(value, ord)
                 ORDER BY (x.value->>'run')::uuid, x.ord LOOP
          PERFORM 1 FROM baton_claim_node((i.v->>'run')::uuid, i.v->>'node', (i.v->>'attempt')::integer, NULL);
          IF NOT FOUND THEN CONTINUE; END IF;
          s := ${settle}((i.v->>'run')::uuid, i.v->>'node', (i.v->>'attempt')::integer, 'escalate', NULL,
                 CASE WHEN jsonb_typeof(i.v->'scopes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(i.v->'scopes')) END,
                 i.v->'audits', 0, i.v->'escalation', (i.v->>'ttl')::integer);
          IF s.settled AND s.kind = 'escalate' THEN
            item := i.ord::integer - 1;
            escalation_id := s.escalation_id;
            expires_at := s.expires_at;
            RETURN NEXT;
          END IF;
        END LOOP;
      END $$`;
}
