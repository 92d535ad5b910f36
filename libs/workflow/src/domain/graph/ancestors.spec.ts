import { describe, expect, it } from '@jest/globals';
import { ancestorsOf } from './ancestors.js';

const node = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });
const nodes = [node('a'), node('b', 'a'), node('c', 'a'), node('d', 'b', 'c'), node('e', 'd', 'ghost'), node('f')];

describe('ancestorsOf', () => {
  it('collects direct and transitive dependencies', () => {
    expect(ancestorsOf(nodes, 'e')).toEqual(new Set(['d', 'b', 'c', 'a']));
    expect(ancestorsOf(nodes, 'd')).toEqual(new Set(['b', 'c', 'a']));
    expect(ancestorsOf(nodes, 'b')).toEqual(new Set(['a']));
  });

  it('does not include the node itself, its siblings or its descendants', () => {
    const ofB = ancestorsOf(nodes, 'b');
    expect(ofB.has('b')).toBe(false);
    expect(ofB.has('c')).toBe(false);
    expect(ofB.has('d')).toBe(false);
  });

  it('is empty for roots and for unknown ids', () => {
    expect(ancestorsOf(nodes, 'a').size).toBe(0);
    expect(ancestorsOf(nodes, 'f').size).toBe(0);
    expect(ancestorsOf(nodes, 'nope').size).toBe(0);
  });

  it('leaves out unknown dependencies', () => {
    expect(ancestorsOf(nodes, 'e').has('ghost')).toBe(false);
  });

  it('terminates on cycles, where a node is its own ancestor', () => {
    const cyclic = [node('a', 'c'), node('b', 'a'), node('c', 'b')];
    expect(ancestorsOf(cyclic, 'a')).toEqual(new Set(['a', 'b', 'c']));
  });
});
