import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §11 + §5 webhooks: escalations the tree trigger closes in SQL — a child's failure failing its
 * parent run (which closes the parent's other open escalations), a run's end cancelling its
 * in-flight children (which closes theirs) — have no JavaScript caller to send their `resolved`
 * webhook events. The trigger now announces their ids on `baton_escalations_closed` (NOTIFY,
 * delivered at commit); the worker's ClosedEscalationsListener sends the events. baton_cancel_tree
 * returns the cancelled run's own closed escalations only: its descendants' are announced.
 *
 * Bodies are those of migration 1733300000000 with the announcements added.
 */
export class TreeEscalationEvents1733500000000 implements MigrationInterface {
  name = 'TreeEscalationEvents1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION baton_announce_closed(p_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(cardinality(p_ids), 0) > 0 THEN
          PERFORM pg_notify('baton_escalations_closed', jsonb_build_object('ids', to_jsonb(p_ids))::text);
        END IF;
      END $$`);
    await q.query(treeStatus(true));
    await q.query(`
      CREATE OR REPLACE FUNCTION baton_cancel_tree(p_run uuid, p_by text) RETURNS text[] LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM baton_lock_tree(p_run);
        RETURN baton_cancel_run(p_run, p_by);
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION baton_cancel_tree(p_run uuid, p_by text) RETURNS text[] LANGUAGE plpgsql AS $$
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
    await q.query(treeStatus(false));
    await q.query(`DROP FUNCTION baton_announce_closed(text[])`);
  }
}

/** baton_run_tree_status of migration 1733300000000; with `announce`, the escalations it closes are NOTIFYed. */
function treeStatus(announce: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION baton_run_tree_status() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        terminal boolean := NEW.status IN ('succeeded', 'failed', 'cancelled');
        child record; parent_status text; result jsonb; completion baton_completion;${announce ? ' settlement baton_settlement;' : ''}
      BEGIN
        IF terminal THEN
          -- A run that ends takes its in-flight children with it.
          FOR child IN SELECT id FROM runs WHERE parent_run_id = NEW.id AND status IN ('pending', 'running', 'waiting_for_human') ORDER BY id LOOP
            ${announce ? "PERFORM baton_announce_closed(baton_cancel_run(child.id, 'baton'));" : "PERFORM baton_cancel_run(child.id, 'baton');"}
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
            ${announce ? 'settlement :=' : 'PERFORM'} baton_settle_node(NEW.parent_run_id, NEW.parent_node_id, NEW.parent_attempt, 'failed',
                      jsonb_build_object('code', 'child_run_failed', 'message', format('child run %s %s', NEW.id, NEW.status),
                                         'childRunId', NEW.id, 'childStatus', NEW.status),
                      NULL, '[]'::jsonb, 0, NULL, 0);${announce ? '\n            PERFORM baton_announce_closed(settlement.closed);' : ''}
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
      END $$`;
}
