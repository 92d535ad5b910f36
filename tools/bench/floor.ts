import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * The hand-written minimal pipeline of issue 9 ("the floor"): the same work as a warm Baton step
 * with a queue hop per step and nothing else — one BullMQ job per step, one keep-alive HTTP call
 * (undici `request`), one Postgres round trip writing the same rows through the same SQL functions
 * (baton_complete_node settles the step, writes its audit rows on the run's hash chain and claims
 * the next step). The first step of a run is claimed by its job (baton_claim_node), as Baton's is.
 * Its worker runs as a process of its own (floor-worker.ts); runs are started here, one statement each.
 */
export const FLOOR_QUEUE = 'bench-floor';
export const FLOOR_JOB_OPTIONS = { removeOnComplete: true, removeOnFail: 1000, attempts: 1 } as const;

/** A floor job: ids, and the item its URL names (Baton reads that from the claim; the floor carries it). */
export interface FloorJob {
  runId: string;
  step: number;
  item: number;
  /** The previous step's statement already claimed this one. */
  claimed: boolean;
}

/** What a warm Baton step wrote, copied from a real run so the floor writes the same rows. */
export interface StepTemplate {
  /** The attempt's audit rows between node.started and node.succeeded (scope.narrowed, token.exchanged, token.used). */
  audits: unknown[];
  output: unknown;
  scopes: string[];
}

export const nodeId = (step: number): string => `step${step}`;

/** The successors argument of baton_complete_node for step k of a linear chain of `length`. */
export function successorsOf(step: number, length: number): string {
  return JSON.stringify(step < length ? [{ id: nodeId(step + 1), deps: [nodeId(step)] }] : []);
}

/** The template from one finished Baton run's second node (warm: cached exchange). */
export async function stepTemplate(
  query: (text: string, values: unknown[]) => Promise<pg.QueryResultRow[]>,
  runId: string,
): Promise<StepTemplate> {
  const audits = await query(
    `SELECT operation, node_id, scopes, target, success, error, details FROM audit_entries
     WHERE run_id = $1 AND node_id = 'step2' AND operation NOT IN ('node.started', 'node.succeeded') ORDER BY run_seq`,
    [runId],
  );
  const [node] = await query(`SELECT output, granted_scopes FROM node_runs WHERE run_id = $1 AND node_id = 'step2'`, [
    runId,
  ]);
  if (!node || audits.length === 0) throw new Error(`run ${runId} has no warm step2 to copy`);
  return { audits, output: node.output, scopes: node.granted_scopes };
}

/** baton_start_run for a floor run of `workflow` version 1 (the bench's registered workflow), `length` nodes. */
export async function startFloorRun(
  pool: pg.Pool,
  workflow: string,
  length: number,
  input: Record<string, unknown>,
): Promise<string> {
  const id = randomUUID();
  const nodes = Array.from({ length }, (_, i) => ({ id: nodeId(i + 1), type: 'http', queued: i === 0, refs: [] }));
  const { rows } = await pool.query<{ r_outcome: string }>({
    name: 'floor_start_run',
    text: `SELECT r_outcome FROM baton_start_run($1, 'default', $2, 1, false, 'bench-agent', $3::jsonb, $4, $5, $6, $7, 'floor', now() + interval '1 hour', NULL, $8::jsonb, NULL)`,
    values: [
      id,
      workflow,
      JSON.stringify(input),
      'floor-issuer',
      'floor-user',
      ['bench:read'],
      randomBytes(64),
      JSON.stringify(nodes),
    ],
  });
  if (rows[0]?.r_outcome !== 'created') throw new Error(`floor run start answered ${rows[0]?.r_outcome}`);
  return id;
}
