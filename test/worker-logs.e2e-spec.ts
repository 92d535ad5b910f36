import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testEnv } from './support/config.js';
import { freePort, spawnBuilt, waitForStatus, type SpawnedProcess } from './support/processes.js';
import { RunStack } from './support/run-stack.js';
import { eventually } from './support/waiting.js';
import { definition, httpNode } from './support/workflows.js';

/**
 * Issue 14: every worker log line about a node carries the run id and the node id (and the
 * attempt). The worker here is the built process at LOG_LEVEL=debug, its stdout read line by line.
 */
describe('worker logs name the run and the node', () => {
  let stack: RunStack;
  let worker: SpawnedProcess;
  let token: string;

  beforeAll(async () => {
    stack = await RunStack.start();
    await stack.stopWorker();
    const port = await freePort();
    worker = spawnBuilt(
      'dist/apps/worker/src/main.js',
      testEnv(stack.config.configPath, {
        DATABASE_URL: stack.config.databaseUrl,
        BATON_QUEUE_PREFIX: stack.config.queuePrefix,
        WORKER_PORT: String(port),
        LOG_LEVEL: 'debug',
      }),
    );
    expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200)).toBe(200);
    const base = stack.resource.url;
    await stack.register(
      definition('logged', [
        httpNode('fetch', `${base}/logged/ok`),
        httpNode('store', `${base}/logged/ok`, { dependsOn: ['fetch'] }),
      ]),
    );
    await stack.register(definition('logged-failing', [httpNode('refused', `${base}/logged/refused`)]));
    stack.resource.on('GET', '/logged/ok', { status: 200, body: { ok: true } });
    stack.resource.on('GET', '/logged/refused', { status: 400, body: { error: 'no' } });
    token = await stack.auth.mintToken('log-user', ['expenses:read']);
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  function lines(): Record<string, any>[] {
    return worker
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
  }

  async function linesFor(runId: string, done: (l: Record<string, any>[]) => boolean) {
    return eventually(async () => lines().filter((l) => l.runId === runId), done, 10000);
  }

  it('logs each step of a run with its run id, node id and attempt', async () => {
    const started = await stack.startRun('logged', token);
    expect((await stack.waitForRun(started.body.id, token, ['succeeded', 'failed'])).status).toBe('succeeded');
    const mine = await linesFor(started.body.id, (l) => l.filter((x) => x.msg === 'node finished').length === 2);
    expect(mine.map((l) => [l.msg, l.nodeId, l.attempt])).toEqual([
      ['node started', 'fetch', 1],
      ['node finished', 'fetch', 1],
      ['node started', 'store', 1],
      ['node finished', 'store', 1],
    ]);
    expect(mine.filter((l) => l.msg === 'node finished').map((l) => l.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(mine.every((l) => l.context === 'NodeRunner' && l.name === 'baton-worker')).toBe(true);
  });

  it("names the run and the node on a node's failure", async () => {
    const started = await stack.startRun('logged-failing', token);
    expect((await stack.waitForRun(started.body.id, token, ['succeeded', 'failed'])).status).toBe('failed');
    const mine = await linesFor(started.body.id, (l) => l.some((x) => x.msg === 'node failed'));
    expect(mine.find((l) => l.msg === 'node failed')).toMatchObject({
      level: 40,
      runId: started.body.id,
      nodeId: 'refused',
      attempt: 1,
      code: expect.any(String),
    });
  });

  it('no NodeRunner line lacks the ids, and no line carries a token', () => {
    const all = lines();
    const nodeLines = all.filter((l) => l.context === 'NodeRunner');
    expect(nodeLines.length).toBeGreaterThanOrEqual(7);
    for (const line of nodeLines)
      expect({
        msg: line.msg,
        runId: typeof line.runId,
        nodeId: typeof line.nodeId,
        attempt: typeof line.attempt,
      }).toEqual({
        msg: line.msg,
        runId: 'string',
        nodeId: 'string',
        attempt: 'number',
      });
    const output = worker.output();
    expect(output).not.toContain(token);
    for (const request of stack.resource.requests) {
      const bearer = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      if (bearer) expect(output).not.toContain(bearer);
    }
  });
});
