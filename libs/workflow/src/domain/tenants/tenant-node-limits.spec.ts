import { describe, expect, it } from '@jest/globals';
import { rootsToEnqueue, tenantNodeLimits } from './tenant-node-limits.js';

describe('tenantNodeLimits', () => {
  it('is empty when nothing is limited', () => {
    expect(tenantNodeLimits({ tenants: {} })).toEqual(new Map());
    expect(tenantNodeLimits({ tenants: { acme: {}, globex: {} } })).toEqual(new Map());
  });

  it('reads each tenant of tenants:, leaving the unlimited ones out', () => {
    expect(
      tenantNodeLimits({
        tenants: { acme: { maxConcurrentNodes: 20 }, globex: {}, initech: { maxConcurrentNodes: 1 } },
      }),
    ).toEqual(
      new Map([
        ['acme', 20],
        ['initech', 1],
      ]),
    );
  });

  it('never yields a limit that could not admit a node', () => {
    expect(tenantNodeLimits({ tenants: { a: { maxConcurrentNodes: 0 }, b: { maxConcurrentNodes: 1.5 } } })).toEqual(
      new Map(),
    );
  });
});

describe('rootsToEnqueue', () => {
  const nodes = [
    { id: 'a', type: 'http', queued: true },
    { id: 'b', type: 'workflow', queued: true },
    { id: 'c', type: 'http', queued: false },
    { id: 'd', type: 'workflow', queued: false },
  ];

  it('enqueues every queued root of an unlimited tenant', () => {
    expect(rootsToEnqueue(nodes, false).map((n) => n.id)).toEqual(['a', 'b']);
  });

  it('leaves a limited tenant its workflow roots only: the others are handed out in Postgres', () => {
    expect(rootsToEnqueue(nodes, true).map((n) => n.id)).toEqual(['b']);
  });
});
