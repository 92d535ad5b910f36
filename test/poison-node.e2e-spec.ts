import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { NodeSweeper } from '../libs/workflow/src/index.js';
import { RunStack } from './support/run-stack.js';
import { definition } from './support/workflows.js';

/**
 * Issue 10 item 10 / issue 9: a node whose job crashes every worker that takes it must end, failed
 * and audited, once BullMQ has given up on the job (its stalled budget is spent) — not be handed to
 * the next worker to kill. A job that failed for any other reason (infrastructure) is re-enqueued.
 * BullMQ's own stall counting is BullMQ's; here the job is put in the state it leaves such a job in.
 */
describe('a node whose job keeps crashing workers (issue 10 item 10)', () => {
  let stack: RunStack;
  let userToken: string;

  beforeAll(async () => {
    stack = await RunStack.start();
    stack.resource.on('GET', '/work', { status: 200, body: { done: true } });
    await stack.register(
      definition('poison', [
        { id: 'only', type: 'http', request: { method: 'GET', url: `${stack.resource.url}/work` } },
      ]),
    );
    userToken = await stack.auth.mintToken('pat', ['openid']);
  }, 60000);

  afterAll(async () => {
    await stack?.close();
  });

  /** Starts a run with no worker up, then leaves its node `running` under a job that failed with `reason`. */
  async function runWhoseJobFailed(reason: string): Promise<string> {
    await stack.stopWorker();
    const started = await stack.startRun('poison', userToken);
    const runId: string = started.body.id;
    const jobId = `${runId}.only.1`;
    await stack.db.query(`SELECT * FROM baton_claim_node($1, 'only', 1, $2)`, [runId, jobId]);
    const connection = { host: '127.0.0.1', port: 6379 };
    const taker = new Worker('nodes', null, { connection, prefix: stack.config.queuePrefix, autorun: false });
    const job = (await taker.getNextJob('test-token'))!;
    expect(job.id).toBe(jobId);
    await job.moveToFailed(new UnrecoverableError(reason), 'test-token');
    await taker.close();
    await stack.db.query(`UPDATE node_runs SET updated_at = now() - interval '1 minute' WHERE run_id = $1`, [runId]);
    await stack.startWorker();
    return runId;
  }

  it('fails and audits the node (worker_crashed) when its job used up its stalled budget, and calls nothing', async () => {
    const runId = await runWhoseJobFailed('job stalled more than allowable limit');
    await stack.worker!.get(NodeSweeper).sweep();
    const run = await stack.waitForRun(runId, userToken, ['failed', 'succeeded']);
    expect(run.status).toBe('failed');
    expect(run.nodes[0]).toMatchObject({ status: 'failed', error: { code: 'worker_crashed' } });
    const audit = await stack.auditOf(runId);
    expect(audit.filter((a) => a.operation === 'node.failed')).toEqual([
      expect.objectContaining({ node_id: 'only', error: 'worker_crashed', success: false }),
    ]);
    expect(audit.at(-1)).toMatchObject({ operation: 'run.failed', error: 'worker_crashed' });
    expect(
      stack.resource.seen('GET', '/work').filter((r) => r.headers['idempotency-key'] === `${runId}:only`),
    ).toHaveLength(0);
    const queue = new Queue('nodes', {
      connection: { host: '127.0.0.1', port: 6379 },
      prefix: stack.config.queuePrefix,
    });
    expect(await queue.getJobState(`${runId}.only.1`)).toBe('failed'); // not handed to another worker
    await queue.close();
  }, 60000);

  it('re-enqueues a node whose job failed for another reason (Postgres lost mid-transaction), and the run succeeds', async () => {
    const runId = await runWhoseJobFailed('Connection terminated unexpectedly');
    await stack.worker!.get(NodeSweeper).sweep();
    const run = await stack.waitForRun(runId, userToken, ['failed', 'succeeded']);
    expect(run.status).toBe('succeeded');
    expect(
      stack.resource.seen('GET', '/work').filter((r) => r.headers['idempotency-key'] === `${runId}:only`),
    ).toHaveLength(1);
  }, 60000);
});
