import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §10.3 without the queue wait: when a security event revokes a run, its nodes that are
 * queued (or waiting out a retry's delay) escalate `token_revoked` in the event's own transaction,
 * instead of when a worker picks their job — with 1,000 runs in flight that can be many seconds.
 * Each item is what a worker would have done with that node's next job, through the same two
 * functions: `baton_claim_node` (the attempt starts: `node.started`, a pending run becomes running)
 * and `baton_settle_node` (the attempt's audit rows, the escalation, `escalation.created`, the run
 * waits for a human). The job, when it comes, finds the attempt taken and does nothing.
 * Items are `{run, node, attempt, scopes, audits, escalation: {id, reason, detail}, ttl}`; runs are
 * handled in id order (like baton_complete_nodes). Rows come back for the escalations opened.
 */
export class PauseRevokedNodes1733260000000 implements MigrationInterface {
  name = 'PauseRevokedNodes1733260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION baton_pause_queued_nodes(p_items jsonb)
      RETURNS TABLE(item integer, escalation_id uuid, expires_at timestamptz) LANGUAGE plpgsql AS $$
      DECLARE i record; s baton_settlement;
      BEGIN
        FOR i IN SELECT x.value AS v, x.ord FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(value, ord)
                 ORDER BY (x.value->>'run')::uuid, x.ord LOOP
          PERFORM 1 FROM baton_claim_node((i.v->>'run')::uuid, i.v->>'node', (i.v->>'attempt')::integer, NULL);
          IF NOT FOUND THEN CONTINUE; END IF;
          s := baton_settle_node((i.v->>'run')::uuid, i.v->>'node', (i.v->>'attempt')::integer, 'escalate', NULL,
                 CASE WHEN jsonb_typeof(i.v->'scopes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(i.v->'scopes')) END,
                 i.v->'audits', 0, i.v->'escalation', (i.v->>'ttl')::integer);
          IF s.settled AND s.kind = 'escalate' THEN
            item := i.ord::integer - 1;
            escalation_id := s.escalation_id;
            expires_at := s.expires_at;
            RETURN NEXT;
          END IF;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION baton_pause_queued_nodes(jsonb)`);
  }
}
