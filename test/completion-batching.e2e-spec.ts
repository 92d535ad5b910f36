import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NodeRunStore } from '../libs/workflow/src/engine/node-run.store.js';
import { call } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { definition } from './support/workflows.js';

/**
 * Completions that arrive in the same turn of the worker's event loop go to Postgres as one
 * statement (baton_complete_nodes). Each must come out exactly as if it had gone alone — the next
 * node claimed, audit rows in order, chains intact — and one bad completion must not take the
 * others down.
 */
describe('batched completions (issue 9)', () => {
  let stack: RunStack;
  let store: NodeRunStore;
  let userToken: string;

  beforeAll(async () => {
    stack = await RunStack.start();
    await stack.register(
      definition('pair', [
        { id: 'first', type: 'http', request: { method: 'GET', url: `${stack.resource.url}/x` } },
        {
          id: 'second',
          type: 'http',
          dependsOn: ['first'],
          request: { method: 'GET', url: `${stack.resource.url}/x`, query: { n: '{{nodes.first.output.n}}' } },
        },
      ]),
    );
    await stack.stopWorker(); // the test drives the transitions itself, with the api's store
    store = stack.api.app.get(NodeRunStore);
    userToken = await stack.auth.mintToken('bo', ['openid']);
  }, 60000);

  afterAll(async () => {
    await stack?.close();
  });

  const successors = [{ id: 'second', deps: ['first'] }];

  async function claimedFirsts(count: number) {
    const claims = [];
    for (let i = 0; i < count; i++) {
      const runId = (await stack.startRun('pair', userToken)).body.id;
      claims.push((await store.claim({ runId, nodeId: 'first', attempt: 1 }, `carrier-${i}`))!);
    }
    return claims;
  }

  it('completes many runs in one statement, each claiming its next node for its own carrier', async () => {
    const claims = await claimedFirsts(8);
    const completions = await Promise.all(
      claims.map((claim, i) =>
        store.complete(claim, {
          output: { n: i },
          grantedScopes: null,
          audits: [],
          successors,
          carrier: `carrier-${i}`,
        }),
      ),
    );
    completions.forEach((completion, i) => {
      expect(completion.settled).toBe(true);
      expect(completion.queued).toEqual([]);
      expect(completion.next).toMatchObject({
        runId: claims[i]!.runId,
        nodeId: 'second',
        attempt: 1,
        outputs: { first: { output: { n: i } } },
      });
    });
    const { rows } = await stack.db.query(
      `SELECT run_id, carrier FROM node_runs WHERE node_id = 'second' AND run_id = ANY($1)`,
      [claims.map((c) => c.runId)],
    );
    expect(Object.fromEntries(rows.map((r) => [r.run_id, r.carrier]))).toEqual(
      Object.fromEntries(claims.map((c, i) => [c.runId, `carrier-${i}`])),
    );
    for (const claim of claims) {
      const audit = await stack.auditOf(claim.runId);
      expect(audit.map((a) => `${a.operation}:${a.node_id ?? ''}`)).toEqual([
        'run.started:',
        'node.started:first',
        'node.succeeded:first',
        'node.started:second',
      ]);
      expect(
        (await call(`${stack.api.url}/v1/runs/${claim.runId}/audit/verify`, { token: userToken })).body,
      ).toMatchObject({ valid: true });
    }
  });

  it('answers settled:false for a stale attempt in a batch without disturbing the others, and finishes runs', async () => {
    const claims = await claimedFirsts(3);
    const stale = { ...claims[1]!, attempt: 7 };
    const [a, b, c] = await Promise.all([
      store.complete(claims[0]!, { output: 1, grantedScopes: null, audits: [], successors: [], carrier: null }),
      store.complete(stale, { output: 2, grantedScopes: null, audits: [], successors, carrier: 'x' }),
      store.complete(claims[2]!, { output: 3, grantedScopes: null, audits: [], successors, carrier: null }),
    ]);
    expect(b).toEqual({ settled: false, next: null, queued: [] });
    expect(a.settled && c.settled).toBe(true);
    expect(c.queued).toEqual([{ runId: claims[2]!.runId, nodeId: 'second', attempt: 1 }]); // no carrier: queued, not claimed
    expect(a.queued).toEqual([]); // no successors given: nothing became ready; the run waits on its other node
  });

  it('falls back to one statement each when the batch fails, so only the bad completion fails', async () => {
    const claims = await claimedFirsts(2);
    const broken = { ...claims[0]!, runId: 'not-a-uuid' };
    const results = await Promise.allSettled([
      store.complete(broken, { output: 1, grantedScopes: null, audits: [], successors, carrier: null }),
      store.complete(claims[1]!, { output: 2, grantedScopes: null, audits: [], successors, carrier: 'ok' }),
    ]);
    expect(results[0]!.status).toBe('rejected');
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { settled: true, next: { nodeId: 'second' } } });
  });
});
