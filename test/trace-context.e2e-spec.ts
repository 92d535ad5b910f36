import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RunStack } from './support/run-stack.js';
import { definition, httpNode } from './support/workflows.js';

/**
 * SPEC §16 "a W3C traceparent sent with a run start reaches that run's downstream calls": every
 * call of the run — chained in the job, retried from the queue — carries a child of the caller's
 * traceparent (same trace id and flags, its own parent id); a run started without one, or with a
 * malformed one, sends none.
 */
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const CHILD = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

describe('trace context of runs (W3C traceparent)', () => {
  let stack: RunStack;
  let token: string;

  beforeAll(async () => {
    stack = await RunStack.start();
    const base = stack.resource.url;
    await stack.register(
      definition(
        'traced',
        [
          httpNode('first', `${base}/first?run={{input.tag}}`),
          // A 503 first: the retry goes back through the queue and a fresh claim.
          httpNode('second', `${base}/second?run={{input.tag}}`, {
            dependsOn: ['first'],
            retry: { maxAttempts: 2, backoffMs: 20 },
          }),
        ],
        { inputSchema: { type: 'object', required: ['tag'], properties: { tag: { type: 'string' } } } },
      ),
    );
    token = await stack.auth.mintToken('tracer', ['expenses:read']);
  });
  afterAll(() => stack?.close());

  async function callsOf(tag: string, traceparent?: string) {
    stack.resource.on('GET', '/first', { status: 200, body: { ok: true } });
    stack.resource.on('GET', '/second', [{ status: 503 }]);
    const started = await stack.startRun('traced', token, { tag }, traceparent === undefined ? {} : { traceparent });
    expect(started.status).toBe(202);
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'succeeded', error: null });
    return stack.resource.requests.filter((r) => r.query === `?run=${tag}`);
  }

  it('sends a child of the caller traceparent on every downstream call, retries included', async () => {
    const calls = await callsOf('with', `00-${TRACE}-${CALLER_SPAN}-01`);
    expect(calls.map((c) => c.path)).toEqual(['/first', '/second', '/second']);
    const parents = calls.map((c) => {
      const match = CHILD.exec(String(c.headers.traceparent));
      expect(match).not.toBeNull();
      expect(match![1]).toBe(TRACE);
      expect(match![3]).toBe('01');
      return match![2];
    });
    expect(parents).not.toContain(CALLER_SPAN);
    expect(new Set(parents).size).toBe(3);
  });

  it('keeps the sampled flag as sent, and writes version 00 for a future version', async () => {
    const calls = await callsOf('future', `cc-${TRACE}-${CALLER_SPAN}-00-future-field`);
    expect(calls).toHaveLength(3);
    for (const call of calls)
      expect(String(call.headers.traceparent)).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
  });

  it('sends no traceparent when the run was started without one, or with a malformed one', async () => {
    for (const [tag, header] of [
      ['none', undefined],
      ['junk', 'not-a-traceparent'],
      ['zero', `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`],
    ] as const) {
      const calls = await callsOf(tag, header);
      expect(calls).toHaveLength(3);
      for (const call of calls) expect(call.headers.traceparent).toBeUndefined();
    }
  });
});
