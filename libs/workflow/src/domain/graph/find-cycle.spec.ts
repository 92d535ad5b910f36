import { describe, expect, it } from '@jest/globals';
import { findCycle, findCycles } from './find-cycle.js';

const node = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

describe('findCycle', () => {
  it('is null for an acyclic graph, including diamonds and nodes without dependsOn', () => {
    expect(findCycle([node('a'), node('b', 'a'), node('c', 'a'), node('d', 'b', 'c')])).toBeNull();
    expect(findCycle([{ id: 'a' }, { id: 'b', dependsOn: ['a'] }])).toBeNull();
    expect(findCycle([])).toBeNull();
  });

  it('finds a cycle of length 1 (a self-dependency)', () => {
    expect(findCycle([node('x'), node('a', 'a')])).toEqual(['a', 'a']);
  });

  it('finds a cycle of length 2', () => {
    expect(findCycle([node('a', 'b'), node('b', 'a')])).toEqual(['a', 'b', 'a']);
  });

  it('finds a cycle of length 3, starting at its first node in definition order', () => {
    // b depends on c, c on a, a on b — listed out of order on purpose
    expect(findCycle([node('root'), node('b', 'c'), node('a', 'b', 'root'), node('c', 'a')])).toEqual([
      'b',
      'c',
      'a',
      'b',
    ]);
  });

  it('gives the shortest way back inside a tangle', () => {
    // a -> b -> c -> a and a -> c -> a: the shortest cycle through a is a -> c -> a
    expect(findCycle([node('a', 'b', 'c'), node('b', 'c'), node('c', 'a')])).toEqual(['a', 'c', 'a']);
  });

  it('ignores dependencies on unknown nodes', () => {
    expect(findCycle([node('a', 'ghost'), node('b', 'a', 'ghost')])).toBeNull();
  });

  it('finds a cycle downstream of acyclic nodes', () => {
    expect(findCycle([node('a'), node('b', 'a', 'd'), node('c', 'b'), node('d', 'c')])).toEqual(['b', 'd', 'c', 'b']);
  });
});

describe('findCycles', () => {
  it('reports each separate cycle once, in definition order', () => {
    const nodes = [
      node('p', 'q'),
      node('a', 'a'),
      node('q', 'p'),
      node('x'),
      node('m', 'n'),
      node('n', 'o'),
      node('o', 'm'),
    ];
    expect(findCycles(nodes)).toEqual([
      ['p', 'q', 'p'],
      ['a', 'a'],
      ['m', 'n', 'o', 'm'],
    ]);
  });

  it('is empty for an acyclic graph', () => {
    expect(findCycles([node('a'), node('b', 'a')])).toEqual([]);
  });

  it('keeps the first of two nodes with the same id', () => {
    expect(findCycles([node('a'), node('b', 'a'), node('a', 'b')])).toEqual([]);
    expect(findCycles([node('a', 'b'), node('b', 'a'), node('a')])).toEqual([['a', 'b', 'a']]);
  });
});
