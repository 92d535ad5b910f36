import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 9: the audit rows of a step cost less.
 *
 * - **The chain head moves once per statement, not once per row.** The row trigger used to lock and
 *   read the run's head and write it back for every entry — a new runs tuple, and (the run row
 *   being this transaction's own by then) a foreign-key check, per entry. It now keeps the head it
 *   has not written yet in a transaction-local setting, `baton.audit_head` (`<run> <seq> <hex hash>`):
 *   the next entry of the same run chains on it without touching `runs`; an entry of another run
 *   writes it first, and the statement trigger writes it at the end of every INSERT. Between
 *   statements `runs` is current, so a statement that errors (its subtransaction rolls the setting
 *   back with the rows) or a second statement of the transaction sees the true head. The first
 *   entry of a run in a transaction still locks the run row, so `at` and the chain position are
 *   taken together under that lock, as before; the hash is the same function of the same fields.
 * - **One INSERT per step.** baton_complete_node_core gathers the node's entries, `node.succeeded`,
 *   and the `node.started` of the node it chains on to (or `run.succeeded`) and writes them in one
 *   statement; baton_chain_claim no longer writes. A run that ends writes its entries before its
 *   status changes, so the tree trigger's entries for a parent come after the child's.
 *
 * - **NOTIFY only while someone listens.** `pg_notify` at commit takes a database-wide lock that
 *   serializes every notifying transaction (pgbench here, 8 clients: ~20 % fewer completions/s with
 *   it). The statement trigger sends `baton_audit` only while a live feed is registered in
 *   `audit_stream_listeners` (an api with stream subscribers keeps its row fresh; a crashed one's
 *   expires); the feed reads on a timer too, for a writer that checked just before it registered.
 *
 * - **Ready successors by primary-key probes** (readySuccessors below): the join that found them
 *   was planned as a scan of node_runs and grew with the table.
 *
 * baton_complete_node_core's body is that of migration 1733450000000 with those writes moved.
 */
export class AuditHeadPerStatement1733600000000 implements MigrationInterface {
  name = 'AuditHeadPerStatement1733600000000';

  async up(q: QueryRunner): Promise<void> {
    // The api processes whose live feed has subscribers (AuditFeed registers while it has some).
    await q.query(`CREATE TABLE audit_stream_listeners (id uuid PRIMARY KEY, expires_at timestamptz NOT NULL)`);
    await q.query(chainTrigger(true));
    await q.query(`
      CREATE FUNCTION baton_audit_statement_end() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE pending text := current_setting('baton.audit_head', true);
      BEGIN
        IF pending <> '' THEN
          ${WRITE_PENDING_HEAD}
          PERFORM set_config('baton.audit_head', '', true);
        END IF;
        -- A NOTIFY serializes committing writers on a database-wide lock: only while a feed listens.
        IF EXISTS (SELECT 1 FROM audit_stream_listeners WHERE expires_at > now()) THEN
          PERFORM pg_notify('baton_audit', '');
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`DROP TRIGGER audit_entries_notify ON audit_entries`);
    await q.query(`DROP FUNCTION baton_audit_notify()`);
    await q.query(
      `CREATE TRIGGER audit_entries_statement_end AFTER INSERT ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION baton_audit_statement_end()`,
    );
    await q.query(chainClaim(false));
    await q.query(completeNodeCore(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(completeNodeCore(false));
    await q.query(chainClaim(true));
    await q.query(`DROP TRIGGER audit_entries_statement_end ON audit_entries`);
    await q.query(`DROP FUNCTION baton_audit_statement_end()`);
    await q.query(`
      CREATE FUNCTION baton_audit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('baton_audit', '');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER audit_entries_notify AFTER INSERT ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION baton_audit_notify()`,
    );
    await q.query(chainTrigger(false));
    await q.query(`DROP TABLE audit_stream_listeners`);
  }
}

/** Writes the head held in `pending` (`<run> <seq> <hex hash>`) to its run row (inline: a function call per statement costs as much as the UPDATE). */
const WRITE_PENDING_HEAD = `UPDATE runs SET audit_seq = split_part(pending, ' ', 2)::integer, audit_head = decode(split_part(pending, ' ', 3), 'hex')
          WHERE id = left(pending, 36)::uuid;`;

/** The row trigger: with `pending`, the head rides in `baton.audit_head`; without, the previous per-row write. */
function chainTrigger(pending: boolean): string {
  const readHead = pending
    ? `pending := current_setting('baton.audit_head', true);
          IF left(pending, 36) = NEW.run_id::text THEN
            seq := split_part(pending, ' ', 2)::integer;
            head := decode(split_part(pending, ' ', 3), 'hex');
            on_run := true;
          ELSE
            IF pending <> '' THEN ${WRITE_PENDING_HEAD} END IF;
            SELECT audit_seq, audit_head INTO seq, head FROM runs WHERE id = NEW.run_id FOR UPDATE;
            on_run := FOUND;
          END IF;`
    : `SELECT audit_seq, audit_head INTO seq, head FROM runs WHERE id = NEW.run_id FOR UPDATE;
          on_run := FOUND;`;
  const writeHead = pending
    ? `PERFORM set_config('baton.audit_head', NEW.run_id::text || ' ' || NEW.run_seq || ' ' || encode(NEW.hash, 'hex'), true);`
    : `UPDATE runs SET audit_seq = NEW.run_seq, audit_head = NEW.hash WHERE id = NEW.run_id;`;
  return `
      CREATE OR REPLACE FUNCTION baton_audit_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
      DECLARE last audit_entries%ROWTYPE; seq integer; head bytea; on_run boolean := false; pending text;
      BEGIN
        IF NEW.run_id IS NULL THEN
          NEW.run_seq := NULL;
          NEW.prev_hash := NULL;
        ELSE
          ${readHead}
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
          ${writeHead}
        END IF;
        RETURN NEW;
      END $$`;
}

/** A ready node claimed for the job that finished its predecessor; `writes`: it records node.started itself. */
function chainClaim(writes: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION baton_chain_claim(p_run uuid, p_node text, p_carrier text, p_slot text) RETURNS baton_claim LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE node_runs SET status = 'running', attempts = 1, queued_at = now(), started_at = now(), updated_at = now(), carrier = p_carrier,
                             slot_tenant = p_slot
        WHERE run_id = p_run AND node_id = p_node AND status = 'pending';
        ${writes ? `PERFORM baton_write_audits(p_run, ${nodeStarted('p_node')});` : ''}
        RETURN baton_claim_row(p_run, p_node, 1);
      END $$`;
}

function nodeStarted(node: string): string {
  return `jsonb_build_array(jsonb_build_object('operation', 'node.started', 'node_id', ${node}, 'details', jsonb_build_object('attempt', 1)))`;
}

/**
 * The successors that became ready (pending, every dependency succeeded), in order, into `ready`.
 * `lookups`: one primary-key probe per successor and dependency — the join it replaces was planned
 * once per session, often before the tables had statistics, as a scan of node_runs (0.4 ms of a
 * 1.2 ms completion on a database of a few thousand runs, growing with it).
 */
function readySuccessors(lookups: boolean): string {
  if (!lookups)
    return `SELECT coalesce(array_agg(s->>'id' ORDER BY ord), '{}') INTO ready
        FROM jsonb_array_elements(coalesce(p_successors, '[]'::jsonb)) WITH ORDINALITY AS x(s, ord)
        JOIN node_runs n ON n.run_id = p_run AND n.node_id = s->>'id' AND n.status = 'pending'
        WHERE NOT EXISTS (
          SELECT 1 FROM jsonb_array_elements_text(s->'deps') d
          LEFT JOIN node_runs dn ON dn.run_id = p_run AND dn.node_id = d
          WHERE dn.status IS DISTINCT FROM 'succeeded');`;
  return `ready := '{}';
        FOR successor IN SELECT value FROM jsonb_array_elements(coalesce(p_successors, '[]'::jsonb)) LOOP
          IF (SELECT status FROM node_runs WHERE run_id = p_run AND node_id = successor->>'id') = 'pending'
             AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(successor->'deps') d
                             WHERE (SELECT status FROM node_runs WHERE run_id = p_run AND node_id = d) IS DISTINCT FROM 'succeeded') THEN
            ready := ready || (successor->>'id');
          END IF;
        END LOOP;`;
}

/**
 * `once`: every entry of the transition in one baton_write_audits call; otherwise each where it
 * happens (node.succeeded first, run.succeeded after the status, node.started by the chain claim).
 */
function completeNodeCore(once: boolean): string {
  // Where the gathered entries are written on each way out (nothing when each is written in place).
  const flush = once ? 'PERFORM baton_write_audits(p_run, audits);' : '';
  const started = (node: string): string => (once ? `audits := audits || ${nodeStarted(node)};` : '');
  const succeeded = `jsonb_build_array(jsonb_build_object('operation', 'node.succeeded', 'node_id', p_node, 'scopes', to_jsonb(p_scopes)))`;
  const runSucceeded = `jsonb_build_array(jsonb_build_object('operation', 'run.succeeded'))`;
  return `
      CREATE OR REPLACE FUNCTION baton_complete_node_core(p_run uuid, p_node text, p_attempt integer, p_output jsonb, p_scopes text[],
                                                          p_audits jsonb, p_successors jsonb, p_carrier text)
      RETURNS baton_completion LANGUAGE plpgsql AS $$
      DECLARE run_status text; tenant_name text; cap integer; held text; ready text[]; gated text[]; free text[]; result baton_completion;
              audits jsonb; successor jsonb;
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
        audits := coalesce(p_audits, '[]'::jsonb) || ${succeeded};
        ${once ? '' : 'PERFORM baton_write_audits(p_run, audits);'}
        -- A cancelled or failed run records the result and starts nothing new.
        IF run_status NOT IN ('running', 'waiting_for_human') THEN ${flush} RETURN result; END IF;

        ${readySuccessors(once)}

        IF cardinality(ready) = 0 THEN
          IF NOT EXISTS (SELECT 1 FROM node_runs WHERE run_id = p_run AND status <> 'succeeded') THEN
            ${
              once
                ? // Before the status: the tree trigger's entries for a parent come after this run's.
                  `audits := audits || ${runSucceeded};
            ${flush}`
                : ''
            }
            UPDATE runs SET status = 'succeeded', error = NULL, finished_at = now(), updated_at = now(),
                            subject_token_ciphertext = NULL, subject_token_key_id = NULL
            WHERE id = p_run AND status IN ('running', 'waiting_for_human');
            ${once ? '' : `PERFORM baton_write_audits(p_run, ${runSucceeded});`}
            RETURN result;
          END IF;
          ${flush}
          RETURN result;
        END IF;

        IF cap IS NULL THEN
          IF p_carrier IS NOT NULL THEN
            result.next := baton_chain_claim(p_run, ready[1], p_carrier, NULL);
            ${started('ready[1]')}
            ready := ready[2:];
          END IF;
          IF cardinality(ready) > 0 THEN
            UPDATE node_runs SET status = 'queued', queued_at = now(), updated_at = now() WHERE run_id = p_run AND node_id = ANY(ready) AND status = 'pending';
          END IF;
          result.queued := ready;
          ${flush}
          RETURN result;
        END IF;

        -- A limited tenant: the next node of the chain takes this node's slot; other ready nodes park
        -- (the fill at the end of the statement hands them out); workflow nodes need no slot.
        ${
          once
            ? `SELECT coalesce(array_agg(x.id ORDER BY x.ord) FILTER (WHERE t.type <> 'workflow'), '{}'),
               coalesce(array_agg(x.id ORDER BY x.ord) FILTER (WHERE t.type = 'workflow'), '{}')
        INTO gated, free
        FROM unnest(ready) WITH ORDINALITY AS x(id, ord),
             LATERAL (SELECT n.type FROM node_runs n WHERE n.run_id = p_run AND n.node_id = x.id) t;`
            : `SELECT coalesce(array_agg(x.id ORDER BY x.ord) FILTER (WHERE n.type <> 'workflow'), '{}'),
               coalesce(array_agg(x.id ORDER BY x.ord) FILTER (WHERE n.type = 'workflow'), '{}')
        INTO gated, free
        FROM unnest(ready) WITH ORDINALITY AS x(id, ord) JOIN node_runs n ON n.run_id = p_run AND n.node_id = x.id;`
        }
        IF p_carrier IS NOT NULL AND held IS NOT NULL AND cardinality(gated) > 0 THEN
          result.next := baton_chain_claim(p_run, gated[1], p_carrier, held);
          ${started('gated[1]')}
          gated := gated[2:];
        ELSIF p_carrier IS NOT NULL AND cardinality(free) > 0 THEN
          result.next := baton_chain_claim(p_run, free[1], p_carrier, NULL);
          ${started('free[1]')}
          free := free[2:];
        END IF;
        UPDATE node_runs SET status = 'queued', queued_at = now(), updated_at = now(),
                             parked_tenant = CASE WHEN node_id = ANY(gated) THEN tenant_name END
        WHERE run_id = p_run AND node_id = ANY(gated || free) AND status = 'pending';
        result.queued := free;
        ${flush}
        RETURN result;
      END $$`;
}
