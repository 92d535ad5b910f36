import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import pg from 'pg';
import { Agent, request } from 'undici';
import { FLOOR_JOB_OPTIONS, FLOOR_QUEUE, nodeId, successorsOf, type FloorJob, type StepTemplate } from './floor.js';

/**
 * The floor pipeline's worker process (see floor.ts). Environment: FLOOR_DATABASE_URL, FLOOR_REDIS_URL,
 * FLOOR_PREFIX, FLOOR_CONCURRENCY, FLOOR_RESOURCE_URL, FLOOR_LENGTH, FLOOR_TEMPLATE (JSON StepTemplate).
 * Prints `ready` once its BullMQ worker runs; SIGTERM closes everything.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`floor worker: ${name} is not set`);
  return value;
};
const length = Number(env('FLOOR_LENGTH'));
const resourceUrl = env('FLOOR_RESOURCE_URL');
const template = JSON.parse(env('FLOOR_TEMPLATE')) as StepTemplate;
const redisUrl = new URL(env('FLOOR_REDIS_URL'));
const connection: ConnectionOptions = {
  host: redisUrl.hostname,
  port: Number(redisUrl.port || 6379),
  maxRetriesPerRequest: null,
};
const prefix = env('FLOOR_PREFIX');

const pool = new pg.Pool({
  connectionString: env('FLOOR_DATABASE_URL'),
  max: 10,
  application_name: 'baton-bench-floor',
});
const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 256 });
const queue = new Queue<FloorJob>(FLOOR_QUEUE, { connection, prefix });
const output = JSON.stringify(template.output);
// Per node: the audit rows with its node id, serialised once.
const audits = Array.from({ length: length + 1 }, (_, step) =>
  JSON.stringify(template.audits.map((a) => ({ ...(a as object), node_id: nodeId(step) }))),
);
const successors = Array.from({ length: length + 1 }, (_, step) => successorsOf(step, length));

const COMPLETE = `SELECT c.settled, (c.next).node_id AS next FROM baton_complete_node($1, $2, 1, $3::jsonb, $4, $5::jsonb, $6::jsonb, $7) c`;

async function processStep(job: Job<FloorJob>): Promise<void> {
  const { runId, step, item } = job.data;
  const node = nodeId(step);
  const carrier = job.id!;
  if (!job.data.claimed) {
    const { rows } = await pool.query({
      name: 'floor_claim',
      text: 'SELECT node_id FROM baton_claim_node($1, $2, 1, $3)',
      values: [runId, node, carrier],
    });
    if (rows.length === 0) return;
  }
  const response = await request(`${resourceUrl}/items/${item}/${node}`, {
    dispatcher: agent,
    method: 'GET',
    headers: { authorization: 'Bearer floor-token', 'idempotency-key': `${runId}:${node}` },
  });
  await response.body.json();
  if (response.statusCode !== 200) throw new Error(`resource server answered ${response.statusCode}`);
  const { rows } = await pool.query<{ settled: boolean; next: string | null }>({
    name: 'floor_complete',
    text: COMPLETE,
    values: [runId, node, output, template.scopes, audits[step], successors[step], carrier],
  });
  if (!rows[0]?.settled) throw new Error(`floor step ${runId}:${node} did not settle`);
  if (rows[0].next) {
    await queue.add(
      'step',
      { runId, step: step + 1, item, claimed: true },
      { ...FLOOR_JOB_OPTIONS, jobId: `${runId}.${nodeId(step + 1)}.1` },
    );
  }
}

const worker = new Worker<FloorJob>(FLOOR_QUEUE, processStep, {
  connection,
  prefix,
  concurrency: Number(env('FLOOR_CONCURRENCY')),
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 5,
});
worker.on('failed', (job, error) => process.stderr.write(`floor worker: job ${job?.id} failed: ${error.message}\n`));
await worker.waitUntilReady();
process.stdout.write('ready\n');

let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  void (async () => {
    await worker.close();
    await queue.close();
    await pool.end();
    await agent.close();
    process.exit(0);
  })();
});
