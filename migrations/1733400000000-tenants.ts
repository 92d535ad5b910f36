import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants (SPEC §12.1): every resource is one tenant's own. Existing rows move to `default`, the
 * tenant of a configuration without `tenants:`.
 *
 * - `workflows`, `workflow_versions`, `runs` and `audit_entries` carry `tenant`; workflow names are
 *   unique per tenant (`acme`'s `expense` and `globex`'s `expense` are two workflows), so the keys
 *   and the run → version reference gain it. Escalations and node rows belong to their run's tenant.
 * - A run's tenant is fixed at its start (baton_start_run takes it; a child takes its parent's in
 *   baton_start_child) and every claim hands it to the worker (baton_claim gains the attribute), which
 *   picks the tenant's exchange profiles and allowed hosts with it.
 * - Audit entries of a run take its tenant in baton_write_audits (from the run row the statement
 *   already joins); `tenant` stays out of the hash: the chain is per run and a run never changes
 *   tenant, and the append-only triggers refuse any later change. The time index every tenant-scoped
 *   audit query walks leads with `tenant`, so scoping costs no extra index on the hot insert.
 * - The run list indexes lead with `tenant` for the same reason.
 *
 * Function bodies are those of migrations 1733150000000 (baton_start_run), 1732500000000
 * (baton_write_audits), 1732950000000 (baton_claim_row) and 1733300000000 (baton_start_child), with
 * the tenant added.
 */
export class Tenants1733400000000 implements MigrationInterface {
  name = 'Tenants1733400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP CONSTRAINT runs_workflow_name_workflow_version_fkey`);
    await q.query(`ALTER TABLE workflow_versions DROP CONSTRAINT workflow_versions_name_fkey`);
    for (const table of ['workflows', 'workflow_versions', 'runs', 'audit_entries']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN tenant text NOT NULL DEFAULT 'default'`);
    }
    await q.query(`ALTER TABLE workflows DROP CONSTRAINT workflows_pkey, ADD PRIMARY KEY (tenant, name)`);
    await q.query(`
      ALTER TABLE workflow_versions DROP CONSTRAINT workflow_versions_pkey, ADD PRIMARY KEY (tenant, name, version),
        ADD FOREIGN KEY (tenant, name) REFERENCES workflows(tenant, name)`);
    await q.query(`
      ALTER TABLE runs ADD CONSTRAINT runs_workflow_version_fkey
        FOREIGN KEY (tenant, workflow_name, workflow_version) REFERENCES workflow_versions(tenant, name, version)`);
    // Nothing may forget to name a tenant from here on: no default.
    for (const table of ['workflows', 'workflow_versions', 'runs', 'audit_entries']) {
      await q.query(`ALTER TABLE ${table} ALTER COLUMN tenant DROP DEFAULT`);
    }

    await q.query(`DROP INDEX runs_by_created`);
    await q.query(`CREATE INDEX runs_by_created ON runs (tenant, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX runs_roots_by_created`);
    await q.query(
      `CREATE INDEX runs_roots_by_created ON runs (tenant, created_at DESC, id DESC) WHERE parent_run_id IS NULL`,
    );
    await q.query(`DROP INDEX runs_by_workflow`);
    await q.query(`CREATE INDEX runs_by_workflow ON runs (tenant, workflow_name, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX audit_by_at`);
    await q.query(`CREATE INDEX audit_by_at ON audit_entries (tenant, at, id) INCLUDE (operation, success)`);

    await q.query(`ALTER TYPE baton_claim ADD ATTRIBUTE tenant text`);
    await q.query(claimRow(true));
    await q.query(writeAudits(true));
    await q.query(`DROP FUNCTION ${START_RUN_SIGNATURE}`);
    await q.query(startRun(true));
    await q.query(startChild(true));
  }

  async down(q: QueryRunner): Promise<void> {
    // Workflow versions and audit entries are immutable: rows of other tenants cannot be folded away.
    const [other] = await q.query(`SELECT 1 FROM workflows WHERE tenant <> 'default' LIMIT 1`);
    if (other) throw new Error('cannot revert tenants: workflows of tenants other than default exist');
    await q.query(startChild(false));
    await q.query(`DROP FUNCTION ${TENANT_START_RUN_SIGNATURE}`);
    await q.query(startRun(false));
    await q.query(writeAudits(false));
    await q.query(`ALTER TYPE baton_claim DROP ATTRIBUTE tenant`);
    await q.query(claimRow(false));
    await q.query(`DROP INDEX audit_by_at`);
    await q.query(`CREATE INDEX audit_by_at ON audit_entries (at, id) INCLUDE (operation, success)`);
    await q.query(`DROP INDEX runs_by_workflow`);
    await q.query(`CREATE INDEX runs_by_workflow ON runs (workflow_name, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX runs_roots_by_created`);
    await q.query(`CREATE INDEX runs_roots_by_created ON runs (created_at DESC, id DESC) WHERE parent_run_id IS NULL`);
    await q.query(`DROP INDEX runs_by_created`);
    await q.query(`CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC)`);
    await q.query(`ALTER TABLE runs DROP CONSTRAINT runs_workflow_version_fkey`);
    await q.query(`ALTER TABLE workflow_versions DROP CONSTRAINT workflow_versions_tenant_name_fkey`);
    await q.query(
      `ALTER TABLE workflow_versions DROP CONSTRAINT workflow_versions_pkey, ADD PRIMARY KEY (name, version)`,
    );
    await q.query(`ALTER TABLE workflows DROP CONSTRAINT workflows_pkey, ADD PRIMARY KEY (name)`);
    for (const table of ['workflows', 'workflow_versions', 'runs', 'audit_entries']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN tenant`);
    }
    await q.query(`ALTER TABLE workflow_versions ADD FOREIGN KEY (name) REFERENCES workflows(name)`);
    await q.query(
      `ALTER TABLE runs ADD FOREIGN KEY (workflow_name, workflow_version) REFERENCES workflow_versions(name, version)`,
    );
  }
}

const START_RUN_SIGNATURE =
  'baton_start_run(uuid, text, integer, boolean, text, jsonb, text, text, text[], bytea, text, timestamptz, text, jsonb, text, text, text)';
const TENANT_START_RUN_SIGNATURE =
  'baton_start_run(uuid, text, text, integer, boolean, text, jsonb, text, text, text[], bytea, text, timestamptz, text, jsonb, text, text, text)';

function claimRow(tenant: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION baton_claim_row(p_run uuid, p_node text, p_attempt integer) RETURNS baton_claim
      LANGUAGE plpgsql STABLE AS $$
      DECLARE result baton_claim; node_refs text[];
      BEGIN
        SELECT refs INTO node_refs FROM node_runs WHERE run_id = p_run AND node_id = p_node;
        SELECT p_node, p_attempt, r.workflow_name, r.workflow_version, r.agent_id, r.input, r.user_iss, r.user_sub, r.user_scopes,
               r.subject_token_ciphertext, r.subject_token_key_id, r.subject_token_expires_at,
               (SELECT coalesce(jsonb_object_agg(n.node_id, jsonb_build_object('output', n.output)), '{}'::jsonb)
                  FROM node_runs n WHERE n.run_id = p_run AND n.status = 'succeeded' AND (node_refs IS NULL OR n.node_id = ANY(node_refs))),
               r.traceparent${tenant ? ', r.tenant' : ''}
        INTO result FROM runs r WHERE r.id = p_run;
        RETURN result;
      END $$`;
}

function writeAudits(tenant: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION baton_write_audits(p_run uuid, p_audits jsonb) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF p_audits IS NULL OR jsonb_array_length(p_audits) = 0 THEN RETURN; END IF;
        INSERT INTO audit_entries (operation, run_id, node_id, workflow, agent_id, user_id, issuer, scopes, target, success, error, details${tenant ? ', tenant' : ''})
        SELECT a.operation, p_run, a.node_id, r.workflow_name, r.agent_id, r.user_sub, r.user_iss, a.scopes, a.target,
               coalesce(a.success, true), a.error, a.details${tenant ? ', r.tenant' : ''}
        FROM runs r,
             ROWS FROM (jsonb_to_recordset(p_audits)
               AS (operation text, node_id text, scopes text[], target text, success boolean, error text, details jsonb)) WITH ORDINALITY
               AS a(operation, node_id, scopes, target, success, error, details, ord)
        WHERE r.id = p_run
        ORDER BY a.ord;
      END $$`;
}

function startRun(tenant: boolean): string {
  return `
      CREATE FUNCTION baton_start_run(p_id uuid, ${tenant ? 'p_tenant text, ' : ''}p_workflow text, p_version integer, p_expect_latest boolean, p_agent text, p_input jsonb,
                                      p_iss text, p_sub text, p_scopes text[], p_ciphertext bytea, p_key_id text, p_expires_at timestamptz,
                                      p_idempotency_key text, p_nodes jsonb, p_traceparent text,
                                      p_email text DEFAULT NULL, p_sid text DEFAULT NULL)
      RETURNS TABLE(r_outcome text, r_id uuid, r_created_at timestamptz) LANGUAGE plpgsql AS $$
      BEGIN
        IF p_expect_latest AND (SELECT latest_version FROM workflows WHERE ${tenant ? 'tenant = p_tenant AND ' : ''}name = p_workflow) IS DISTINCT FROM p_version THEN
          RETURN QUERY SELECT 'stale'::text, NULL::uuid, NULL::timestamptz;
          RETURN;
        END IF;
        INSERT INTO runs (id, ${tenant ? 'tenant, ' : ''}workflow_name, workflow_version, agent_id, status, input, user_iss, user_sub, user_scopes,
                          subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, idempotency_key, traceparent,
                          user_email, user_sid)
        VALUES (p_id, ${tenant ? 'p_tenant, ' : ''}p_workflow, p_version, p_agent, 'pending', p_input, p_iss, p_sub, p_scopes, p_ciphertext, p_key_id, p_expires_at,
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
      END $$`;
}

function startChild(tenant: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION baton_start_child(p_id uuid, p_parent uuid, p_node text, p_attempt integer, p_workflow text, p_version integer,
                                        p_agent text, p_input jsonb, p_scopes text[], p_ciphertext bytea, p_key_id text,
                                        p_delegation jsonb, p_successors jsonb, p_nodes jsonb)
      RETURNS text LANGUAGE plpgsql AS $$
      DECLARE parent runs%ROWTYPE;
      BEGIN
        SELECT * INTO parent FROM runs WHERE id = p_parent FOR UPDATE;
        IF parent.status NOT IN ('pending', 'running', 'waiting_for_human') OR NOT EXISTS (
             SELECT 1 FROM node_runs WHERE run_id = p_parent AND node_id = p_node AND status = 'running' AND attempts = p_attempt) THEN
          RETURN 'gone';
        END IF;
        IF EXISTS (SELECT 1 FROM runs WHERE id = p_id) THEN RETURN 'exists'; END IF;
        INSERT INTO runs (id, ${tenant ? 'tenant, ' : ''}workflow_name, workflow_version, agent_id, status, input, user_iss, user_sub, user_scopes,
                          subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, subject_token_revoked,
                          traceparent, user_email, user_sid,
                          parent_run_id, parent_node_id, parent_attempt, root_run_id, depth, delegation, parent_successors)
        VALUES (p_id, ${tenant ? 'parent.tenant, ' : ''}p_workflow, p_version, p_agent, 'pending', p_input, parent.user_iss, parent.user_sub, p_scopes,
                p_ciphertext, p_key_id, parent.subject_token_expires_at, parent.subject_token_revoked,
                parent.traceparent, parent.user_email, parent.user_sid,
                p_parent, p_node, p_attempt, parent.root_run_id, parent.depth + 1, p_delegation, p_successors);
        INSERT INTO node_runs (run_id, node_id, type, position, status, queued_at, refs)
        SELECT p_id, n.id, n.type, (n.ord - 1)::integer, CASE WHEN n.queued THEN 'queued' ELSE 'pending' END, CASE WHEN n.queued THEN now() END, n.refs
        FROM ROWS FROM (jsonb_to_recordset(p_nodes) AS (id text, type text, queued boolean, refs text[])) WITH ORDINALITY AS n(id, type, queued, refs, ord);
        PERFORM baton_write_audits(p_id, jsonb_build_array(jsonb_build_object('operation', 'run.started', 'scopes', to_jsonb(p_scopes),
                  'details', jsonb_build_object('version', p_version, 'parentRunId', p_parent, 'parentNodeId', p_node,
                                                'rootRunId', parent.root_run_id, 'depth', parent.depth + 1))));
        -- The parent node moved (the sweeper leaves running nodes with an in-flight child alone).
        UPDATE node_runs SET updated_at = now() WHERE run_id = p_parent AND node_id = p_node;
        RETURN 'created';
      END $$`;
}
