import { describe, expect, it } from '@jest/globals';
import { NodeStatus } from '../state/node-status.js';
import { nodesToCancel, nodesToSkip, readyNodes } from './node-readiness.js';

const { Pending, Queued, Running, WaitingForHuman, Succeeded, Failed, Skipped, Cancelled } = NodeStatus;
const node = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

describe('readyNodes', () => {
  const diamond = [node('a'), node('b', 'a'), node('c', 'a'), node('d', 'b', 'c')];

  it('starts with every root, in definition order', () => {
    const parallel = [node('z'), node('y'), node('x', 'z')];
    expect(readyNodes(parallel, { z: Pending, y: Pending, x: Pending })).toEqual(['z', 'y']);
  });

  it('releases nodes whose dependencies all succeeded', () => {
    expect(readyNodes(diamond, { a: Succeeded, b: Pending, c: Pending, d: Pending })).toEqual(['b', 'c']);
    expect(readyNodes(diamond, { a: Succeeded, b: Succeeded, c: Running, d: Pending })).toEqual([]);
    expect(readyNodes(diamond, { a: Succeeded, b: Succeeded, c: Succeeded, d: Pending })).toEqual(['d']);
  });

  it.each([Pending, Queued, Running, WaitingForHuman, Failed, Skipped, Cancelled])(
    'holds a node back while a dependency is %s',
    (status) => {
      expect(readyNodes([node('a'), node('b', 'a')], { a: status, b: Pending })).not.toContain('b');
    },
  );

  it('returns only pending nodes, never ones already queued, running or finished', () => {
    expect(
      readyNodes([node('a'), node('b'), node('c'), node('d')], { a: Queued, b: Running, c: Succeeded, d: Pending }),
    ).toEqual(['d']);
  });

  it('never releases a node with an unknown dependency or an unknown status', () => {
    expect(readyNodes([node('a', 'ghost')], { a: Pending })).toEqual([]);
    expect(readyNodes([node('a')], {})).toEqual([]);
  });
});

describe('nodesToSkip', () => {
  it('skips the nodes that never started: pending and queued', () => {
    const nodes = [node('a'), node('b'), node('c'), node('d'), node('e'), node('f'), node('g')];
    const statuses = { a: Succeeded, b: Failed, c: Running, d: Pending, e: Queued, f: WaitingForHuman, g: Pending };
    expect(nodesToSkip(nodes, statuses)).toEqual(['d', 'e', 'g']);
  });
});

describe('nodesToCancel', () => {
  it('cancels nodes not yet started and nodes waiting for a human, but lets running ones finish', () => {
    const nodes = [node('a'), node('b'), node('c'), node('d'), node('e')];
    const statuses = { a: Running, b: Pending, c: Queued, d: WaitingForHuman, e: Succeeded };
    expect(nodesToCancel(nodes, statuses)).toEqual(['b', 'c', 'd']);
  });
});
