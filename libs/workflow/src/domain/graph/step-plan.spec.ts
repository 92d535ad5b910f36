import { describe, expect, it } from '@jest/globals';
import { planSteps, referencedNodes } from './step-plan.js';

describe('planSteps', () => {
  it('lists each node’s successors in definition order with all their dependencies', () => {
    const plan = planSteps([
      { id: 'a' },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['a'] },
      { id: 'join', dependsOn: ['b', 'c'] },
    ]);
    expect(plan.successors.get('a')!.map((s) => s.id)).toEqual(['b', 'c']);
    expect(plan.successors.get('b')).toEqual([{ id: 'join', deps: ['b', 'c'] }]);
    expect(plan.successors.get('c')).toEqual([{ id: 'join', deps: ['b', 'c'] }]);
    expect(plan.successors.get('join')).toEqual([]);
  });

  it('counts a repeated dependency once and ignores unknown ones', () => {
    const plan = planSteps([{ id: 'a' }, { id: 'b', dependsOn: ['a', 'a', 'ghost'] }]);
    expect(plan.successors.get('a')).toEqual([{ id: 'b', deps: ['a', 'ghost'] }]);
    expect(plan.successors.has('ghost')).toBe(false);
  });

  it('gives each node the outputs its templates reference', () => {
    const plan = planSteps([
      { id: 'fetch' },
      { id: 'other' },
      {
        id: 'submit',
        dependsOn: ['fetch', 'other'],
        request: {
          url: 'https://x/{{nodes.fetch.output.body.id}}',
          body: { n: '{{ nodes.fetch.output.status }}', i: '{{input.id}}' },
        },
      } as never,
    ]);
    expect(plan.refs.get('submit')).toEqual(['fetch']);
    expect(plan.refs.get('fetch')).toEqual([]);
  });
});

describe('referencedNodes', () => {
  it('finds node references anywhere in the node, sorted, without repeats, and not input references', () => {
    expect(
      referencedNodes({
        approval: { prompt: 'Approve {{nodes.b.output.total}} for {{nodes.a.output.name}}?' },
        input: { x: ['{{nodes.b.output}}', '{{input.user}}'] },
      }),
    ).toEqual(['a', 'b']);
    expect(referencedNodes({ request: { url: 'https://x/{{ nodes.y.output' } })).toEqual([]);
  });
});
