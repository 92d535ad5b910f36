import { describe, expect, it } from '@jest/globals';
import { formatTemplateRef, parseTemplateExpression } from './template-ref.js';

describe('parseTemplateExpression', () => {
  it('parses input references of any depth, including the whole input', () => {
    expect(parseTemplateExpression('input')).toEqual({ source: 'input', path: [] });
    expect(parseTemplateExpression('input.reportId')).toEqual({ source: 'input', path: ['reportId'] });
    expect(parseTemplateExpression('input.a.b_c.d-e.0')).toEqual({ source: 'input', path: ['a', 'b_c', 'd-e', '0'] });
  });

  it('parses node output references, including the whole output', () => {
    expect(parseTemplateExpression('nodes.fetch.output')).toEqual({ source: 'node', nodeId: 'fetch', path: [] });
    expect(parseTemplateExpression('nodes.fetch_2.output.body.items.0.id')).toEqual({
      source: 'node',
      nodeId: 'fetch_2',
      path: ['body', 'items', '0', 'id'],
    });
  });

  it('tolerates whitespace around the reference', () => {
    expect(parseTemplateExpression('  input.a \n')).toEqual({ source: 'input', path: ['a'] });
    expect(parseTemplateExpression('\tnodes.x.output ')).toEqual({ source: 'node', nodeId: 'x', path: [] });
  });

  it.each([
    '',
    'inputs.a',
    'input.',
    'input..a',
    'input. a',
    'input.a b',
    'input[0]',
    "input['a']",
    'input.a+1',
    'nodes',
    'nodes.fetch',
    'nodes.fetch.status',
    'nodes.fetch.output.',
    'nodes..output',
    'nodes.fe tch.output',
    'env.SECRET',
    'process.env.X',
    'input.a | upper',
    'this',
  ])('rejects %j', (expression) => {
    expect(parseTemplateExpression(expression)).toBeNull();
  });
});

describe('formatTemplateRef', () => {
  it('spells references canonically', () => {
    expect(formatTemplateRef({ source: 'input', path: [] })).toBe('input');
    expect(formatTemplateRef({ source: 'input', path: ['a', '0'] })).toBe('input.a.0');
    expect(formatTemplateRef({ source: 'node', nodeId: 'fetch', path: ['body', 'total'] })).toBe(
      'nodes.fetch.output.body.total',
    );
  });
});
