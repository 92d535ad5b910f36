import { describe, expect, it } from '@jest/globals';
import { startTracing, Tracing, type TracerHandle } from './tracing.js';

describe('startTracing', () => {
  it('without an endpoint starts no SDK: the loader is never called and spans are no-ops', async () => {
    let loads = 0;
    const tracing = await startTracing(undefined, 'baton-test', async () => {
      loads++;
      throw new Error('must not load');
    });
    expect(loads).toBe(0);
    expect(tracing).toBe(Tracing.disabled);
    expect(tracing.enabled).toBe(false);
    const span = tracing.start('x', { traceId: 'a'.repeat(32), parentId: 'b'.repeat(16), flags: '01' });
    expect(span.traceparent()).toBeNull();
    expect(span.child('y').traceparent()).toBeNull();
    await tracing.flush();
    await tracing.shutdown();
  });

  it('with an endpoint loads the SDK once, for that endpoint and service', async () => {
    const calls: [string, string][] = [];
    const tracing = await startTracing('http://collector:4318', 'baton-test', async (endpoint, service) => {
      calls.push([endpoint, service]);
      return { tracer: {} as TracerHandle['tracer'], flush: async () => {}, shutdown: async () => {} };
    });
    expect(calls).toEqual([['http://collector:4318', 'baton-test']]);
    expect(tracing.enabled).toBe(true);
  });
});
