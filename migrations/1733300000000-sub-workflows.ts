import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sub-workflows (SPEC §11): a `workflow` node starts a child run; the child's fate settles the node.
 *
 * - `runs` gains its place in the tree: `parent_run_id`, `parent_node_id`, `parent_attempt` (the
 *   node attempt that started it; unique, and the child's id is a UUIDv5 of the three, so a crashed
 *   and restarted attempt finds its child instead of making a second one), `root_run_id` (the run
 *   itself at the root, set by a trigger so that baton_start_run is untouched), `depth`, `delegation`
 *   (the chain of ceilings above it, root first) and `parent_successors` (the parent node's
 *   successors with their dependencies, as the worker passes them to baton_complete_node).
 * - baton_start_child: the child run, its node rows and `run.started`, guarded by the parent attempt
 *   still running, in one statement.
 * - The tree moves with one trigger on run status (baton_run_tree_status), so every path that ends a
 *   run (last node, failure, cancel, reject, abort, expiry) carries it along in its own transaction:
 *   a run that ends cancels its in-flight children; a child that ends settles its parent node
 *   (succeeded with `{runId, status, outputs}`, or failed `child_run_failed`), which continues the
 *   parent's DAG through baton_complete_node / baton_settle_node; a child that waits for a human makes
 *   its parent node and run wait, and running again makes them run. Nodes the settlement made ready
 *   are announced on `baton_nodes_ready` (NOTIFY, delivered at commit) for the workers to enqueue;
 *   the sweeper enqueues them anyway if nobody listened.
 *
 * Locks go child before parent (the trigger locks the parent after the child's row), and
 * baton_cancel_run is preceded by baton_lock_tree (deepest first) so a cancel takes them in the
 * same order.
 */
export class SubWorkflows1733300000000 implements MigrationInterface {
  name = 'SubWorkflows1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE runs
        ADD COLUMN parent_run_id uuid REFERENCES runs(id) ON DELETE CASCADE,
        ADD COLUMN parent_node_id text,
        ADD COLUMN parent_attempt integer,
        ADD COLUMN root_run_id uuid,
        ADD COLUMN depth integer NOT NULL DEFAULT 0,
        ADD COLUMN delegation jsonb NOT NULL DEFAULT '[]'::jsonb,
        ADD COLUMN parent_successors jsonb`);
    await q.query(`UPDATE runs SET root_run_id = id`);
    await q.query(`ALTER TABLE runs ALTER COLUMN root_run_id SET NOT NULL`);
    await q.query(`
      ALTER TABLE runs ADD CONSTRAINT runs_parent_complete CHECK (
        (parent_run_id IS NULL AND parent_node_id IS NULL AND parent_attempt IS NULL AND depth = 0)
        OR (parent_run_id IS NOT NULL AND parent_node_id IS NOT NULL AND parent_attempt IS NOT NULL AND depth > 0))`);
    await q.query(
      `ALTER TABLE runs ADD CONSTRAINT runs_one_child_per_attempt UNIQUE (parent_run_id, parent_node_id, parent_attempt)`,
    );
    await q.query(`CREATE INDEX runs_by_root ON runs (root_run_id)`);
    await q.query(`CREATE INDEX runs_roots_by_created ON runs (created_at DESC, id DESC) WHERE parent_run_id IS NULL`);

    await q.query(`
      CREATE FUNCTION baton_run_root() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.root_run_id := coalesce(NEW.root_run_id, NEW.id);
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER runs_root BEFORE INSERT ON runs FOR EACH ROW WHEN (NEW.root_run_id IS NULL) EXECUTE FUNCTION baton_run_root()`,
    );

    await q.query(`
      CREATE FUNCTION baton_start_child(p_id uuid, p_parent uuid, p_node text, p_attempt integer, p_workflow text, p_version integer,
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
        INSERT INTO runs (id, workflow_name, workflow_version, agent_id, status, input, user_iss, user_sub, user_scopes,
                          subject_token_ciphertext, subject_token_key_id, subject_token_expires_at, subject_token_revoked,
                          traceparent, user_email, user_sid,
                          parent_run_id, parent_node_id, parent_attempt, root_run_id, depth, delegation, parent_successors)
        VALUES (p_id, p_workflow, p_version, p_agent, 'pending', p_input, parent.user_iss, parent.user_sub, p_scopes,
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
      END $$`);

    // A run waiting only on a human of one of its children runs again once neither waits.
    await q.query(`
      CREATE FUNCTION baton_run_back_to_running(p_run uuid) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE runs SET status = 'running', updated_at = now()
        WHERE id = p_run AND status = 'waiting_for_human'
          AND NOT EXISTS (SELECT 1 FROM escalations WHERE run_id = p_run AND status = 'open')
          AND NOT EXISTS (SELECT 1 FROM runs c WHERE c.parent_run_id = p_run AND c.status = 'waiting_for_human');
      END $$`);

    // The run and all its in-flight descendants, locked deepest first: the order in which a child's
    // own transitions take them (the child, then the parent in the tree trigger).
    await q.query(`
      CREATE FUNCTION baton_lock_tree(p_run uuid) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM runs r
        WHERE r.id IN (
          WITH RECURSIVE tree(id) AS (
            SELECT p_run UNION ALL SELECT c.id FROM runs c JOIN tree t ON c.parent_run_id = t.id)
          SELECT id FROM tree)
        ORDER BY r.depth DESC, r.id FOR UPDATE;
      END $$`);

    await q.query(`
      CREATE FUNCTION baton_cancel_tree(p_run uuid, p_by text) RETURNS text[] LANGUAGE plpgsql AS $$
      DECLARE closed text[];
      BEGIN
        PERFORM baton_lock_tree(p_run);
        closed := baton_cancel_run(p_run, p_by);
        IF closed IS NULL THEN RETURN NULL; END IF;
        -- With the escalations the cascade closed in the descendants (closed by Baton in this
        -- transaction: now() is its start), for their webhook events.
        RETURN closed || ARRAY(
          SELECT e.id::text FROM escalations e
          WHERE e.run_id IN (WITH RECURSIVE tree(id) AS (
                               SELECT c.id FROM runs c WHERE c.parent_run_id = p_run
                               UNION ALL SELECT c.id FROM runs c JOIN tree t ON c.parent_run_id = t.id)
                             SELECT id FROM tree)
            AND e.status = 'resolved' AND e.resolved_by = 'baton' AND e.resolved_at = now()
          ORDER BY e.created_at, e.id);
      END $$`);

    await q.query(`
      CREATE FUNCTION baton_run_tree_status() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        terminal boolean := NEW.status IN ('succeeded', 'failed', 'cancelled');
        child record; parent_status text; result jsonb; completion baton_completion;
      BEGIN
        IF terminal THEN
          -- A run that ends takes its in-flight children with it.
          FOR child IN SELECT id FROM runs WHERE parent_run_id = NEW.id AND status IN ('pending', 'running', 'waiting_for_human') ORDER BY id LOOP
            PERFORM baton_cancel_run(child.id, 'baton');
          END LOOP;
        END IF;
        IF NEW.parent_run_id IS NULL THEN RETURN NULL; END IF;
        SELECT status INTO parent_status FROM runs WHERE id = NEW.parent_run_id FOR UPDATE;

        IF terminal THEN
          IF parent_status IN ('pending', 'running', 'waiting_for_human') THEN
            UPDATE node_runs SET status = 'running', updated_at = now()
            WHERE run_id = NEW.parent_run_id AND node_id = NEW.parent_node_id AND attempts = NEW.parent_attempt AND status = 'waiting_for_human';
            PERFORM baton_run_back_to_running(NEW.parent_run_id);
          END IF;
          IF NEW.status = 'succeeded' THEN
            SELECT jsonb_build_object('runId', NEW.id, 'status', NEW.status,
                     'outputs', coalesce(jsonb_object_agg(n.node_id, n.output), '{}'::jsonb))
            INTO result FROM node_runs n WHERE n.run_id = NEW.id AND n.status = 'succeeded';
            completion := baton_complete_node(NEW.parent_run_id, NEW.parent_node_id, NEW.parent_attempt, result, NULL, '[]'::jsonb,
                                              NEW.parent_successors, NULL);
            -- One notification per node: a NOTIFY payload is limited to 8000 bytes, a fan-out is not.
            PERFORM pg_notify('baton_nodes_ready', jsonb_build_object('runId', NEW.parent_run_id, 'nodes', jsonb_build_array(n))::text)
            FROM unnest(completion.queued) AS n;
          ELSE
            PERFORM baton_settle_node(NEW.parent_run_id, NEW.parent_node_id, NEW.parent_attempt, 'failed',
                      jsonb_build_object('code', 'child_run_failed', 'message', format('child run %s %s', NEW.id, NEW.status),
                                         'childRunId', NEW.id, 'childStatus', NEW.status),
                      NULL, '[]'::jsonb, 0, NULL, 0);
          END IF;
        ELSIF NEW.status = 'waiting_for_human' AND parent_status IN ('running', 'waiting_for_human') THEN
          UPDATE node_runs SET status = 'waiting_for_human', updated_at = now()
          WHERE run_id = NEW.parent_run_id AND node_id = NEW.parent_node_id AND attempts = NEW.parent_attempt AND status = 'running';
          UPDATE runs SET status = 'waiting_for_human', updated_at = now() WHERE id = NEW.parent_run_id AND status = 'running';
        ELSIF OLD.status = 'waiting_for_human' AND NEW.status = 'running' THEN
          UPDATE node_runs SET status = 'running', updated_at = now()
          WHERE run_id = NEW.parent_run_id AND node_id = NEW.parent_node_id AND attempts = NEW.parent_attempt AND status = 'waiting_for_human';
          PERFORM baton_run_back_to_running(NEW.parent_run_id);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER runs_tree_status AFTER UPDATE OF status ON runs FOR EACH ROW
      WHEN (OLD.status IS DISTINCT FROM NEW.status AND (NEW.parent_run_id IS NOT NULL OR NEW.status IN ('succeeded', 'failed', 'cancelled')))
      EXECUTE FUNCTION baton_run_tree_status()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER runs_tree_status ON runs`);
    await q.query(`DROP FUNCTION baton_run_tree_status()`);
    await q.query(`DROP FUNCTION baton_cancel_tree(uuid, text)`);
    await q.query(`DROP FUNCTION baton_lock_tree(uuid)`);
    await q.query(`DROP FUNCTION baton_run_back_to_running(uuid)`);
    await q.query(
      `DROP FUNCTION baton_start_child(uuid, uuid, text, integer, text, integer, text, jsonb, text[], bytea, text, jsonb, jsonb, jsonb)`,
    );
    await q.query(`DROP TRIGGER runs_root ON runs`);
    await q.query(`DROP FUNCTION baton_run_root()`);
    // Child runs cannot exist without the columns that place them in a tree.
    await q.query(`DELETE FROM runs WHERE parent_run_id IS NOT NULL`);
    await q.query(`DROP INDEX runs_roots_by_created`);
    await q.query(`DROP INDEX runs_by_root`);
    await q.query(`
      ALTER TABLE runs DROP CONSTRAINT runs_one_child_per_attempt, DROP CONSTRAINT runs_parent_complete,
        DROP COLUMN parent_successors, DROP COLUMN delegation, DROP COLUMN depth, DROP COLUMN root_run_id,
        DROP COLUMN parent_attempt, DROP COLUMN parent_node_id, DROP COLUMN parent_run_id`);
  }
}
