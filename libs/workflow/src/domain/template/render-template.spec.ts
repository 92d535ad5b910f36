import { describe, expect, it } from '@jest/globals';
import { NodeErrorCode } from '../constants.js';
import {
  RenderBudget,
  type TemplateScope,
  renderTemplateString,
  renderTemplateValue,
  resolveTemplateRef,
} from './render-template.js';
import { renderUrl } from './render-url.js';
import { TemplateError } from './template-error.js';

const scope: TemplateScope = {
  input: {
    reportId: 'r-42',
    count: 3,
    ratio: 0.5,
    urgent: true,
    note: null,
    tags: ['a', 'b'],
    owner: { name: 'Ada', id: 7 },
    items: [{ id: 'i1' }, { id: 'i2' }],
    empty: '',
  },
  nodes: {
    fetch: { output: { status: 200, headers: {}, body: { total: 99.5, currency: 'EUR', lines: [{ sku: 'x' }] } } },
    nothing: { output: null },
  },
};

function renderError(value: unknown, s: TemplateScope = scope): TemplateError {
  try {
    renderTemplateValue(value, s);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('renderTemplateValue: a string that is exactly one template keeps the JSON type', () => {
  it.each([
    ['{{input.reportId}}', 'r-42'],
    ['{{input.count}}', 3],
    ['{{input.ratio}}', 0.5],
    ['{{input.urgent}}', true],
    ['{{input.note}}', null],
    ['{{input.tags}}', ['a', 'b']],
    ['{{input.owner}}', { name: 'Ada', id: 7 }],
    ['{{input.empty}}', ''],
    ['{{ nodes.fetch.output.body.total }}', 99.5],
    ['{{nodes.fetch.output.status}}', 200],
    ['{{nodes.nothing.output}}', null],
  ])('%s', (template, expected) => {
    expect(renderTemplateValue(template, scope)).toEqual(expected);
  });

  it('renders the whole input', () => {
    expect(renderTemplateValue('{{input}}', scope)).toEqual(scope.input);
  });

  it('follows array index segments', () => {
    expect(renderTemplateValue('{{input.items.1.id}}', scope)).toBe('i2');
    expect(renderTemplateValue('{{input.tags.0}}', scope)).toBe('a');
    expect(renderTemplateValue('{{nodes.fetch.output.body.lines.0.sku}}', scope)).toBe('x');
  });
});

describe('renderTemplateValue: templates inside a longer string are stringified', () => {
  it.each([
    ['Report {{input.reportId}}', 'Report r-42'],
    ['{{input.count}} items', '3 items'],
    ['urgent={{input.urgent}}', 'urgent=true'],
    ['note={{input.note}}', 'note=null'],
    ['tags={{input.tags}}', 'tags=["a","b"]'],
    ['owner={{input.owner}}', 'owner={"name":"Ada","id":7}'],
    ['{{input.reportId}}/{{input.count}}', 'r-42/3'],
    [
      'Submit {{input.reportId}} for {{nodes.fetch.output.body.total}} {{nodes.fetch.output.body.currency}}?',
      'Submit r-42 for 99.5 EUR?',
    ],
    [' {{input.count}}', ' 3'],
    ['[{{input.empty}}]', '[]'],
  ])('%s', (template, expected) => {
    expect(renderTemplateValue(template, scope)).toBe(expected);
  });
});

describe('renderTemplateValue: walking values', () => {
  it('renders strings inside nested objects and arrays, leaving keys and other values alone', () => {
    const body = {
      total: '{{nodes.fetch.output.body.total}}',
      label: 'Report {{input.reportId}}',
      '{{input.reportId}}': 'key stays literal',
      nested: [{ owner: '{{input.owner}}' }, 1, false, null, 'plain'],
    };
    expect(renderTemplateValue(body, scope)).toEqual({
      total: 99.5,
      label: 'Report r-42',
      '{{input.reportId}}': 'key stays literal',
      nested: [{ owner: { name: 'Ada', id: 7 } }, 1, false, null, 'plain'],
    });
  });

  it('does not modify the value it renders', () => {
    const body = { a: '{{input.count}}' };
    renderTemplateValue(body, scope);
    expect(body).toEqual({ a: '{{input.count}}' });
  });

  it('passes through values without templates, and undefined', () => {
    expect(renderTemplateValue('plain } text {', scope)).toBe('plain } text {');
    expect(renderTemplateValue(42, scope)).toBe(42);
    expect(renderTemplateValue(undefined, scope)).toBeUndefined();
  });

  it('does not render a substituted value again', () => {
    const tricky: TemplateScope = { input: { a: '{{input.b}}', b: 'secret' }, nodes: {} };
    expect(renderTemplateValue('{{input.a}}', tricky)).toBe('{{input.b}}');
    expect(renderTemplateValue('x {{input.a}}', tricky)).toBe('x {{input.b}}');
  });
});

describe('renderTemplateValue: missing values throw a TemplateError naming the reference', () => {
  it.each([
    ['{{input.missing}}', '{{input.missing}} refers to a missing value: input has no "missing"'],
    ['{{input.owner.email}}', '{{input.owner.email}} refers to a missing value: input.owner has no "email"'],
    ['{{input.note.x}}', '{{input.note.x}} refers to a missing value: input.note has no "x"'],
    [
      '{{input.reportId.length}}',
      '{{input.reportId.length}} refers to a missing value: input.reportId has no "length"',
    ],
    ['{{input.tags.length}}', '{{input.tags.length}} refers to a missing value: input.tags has no "length"'],
    ['{{input.tags.2}}', '{{input.tags.2}} refers to a missing value: input.tags has no "2"'],
    ['{{input.tags.01}}', '{{input.tags.01}} refers to a missing value: input.tags has no "01"'],
    [
      '{{input.owner.constructor}}',
      '{{input.owner.constructor}} refers to a missing value: input.owner has no "constructor"',
    ],
    ['{{input.__proto__}}', '{{input.__proto__}} refers to a missing value: input has no "__proto__"'],
    ['{{nodes.ghost.output}}', '{{nodes.ghost.output}} refers to a missing value: node "ghost" has no output'],
    [
      '{{nodes.fetch.output.body.tax}}',
      '{{nodes.fetch.output.body.tax}} refers to a missing value: nodes.fetch.output.body has no "tax"',
    ],
    ['{{nodes.toString.output}}', '{{nodes.toString.output}} refers to a missing value: node "toString" has no output'],
  ])('%s', (template, message) => {
    const error = renderError(template);
    expect(error.code).toBe(NodeErrorCode.TemplateError);
    expect(error.code).toBe('template_error');
    expect(error.message).toBe(message);
  });

  it('throws inside longer strings and nested values too', () => {
    expect(renderError({ a: ['x {{input.nope}} y'] }).message).toContain('{{input.nope}}');
  });

  it('throws when there is no input at all', () => {
    expect(renderError('{{input}}', { input: undefined, nodes: {} }).message).toBe(
      '{{input}} refers to a missing value: input is undefined',
    );
  });

  it('throws for malformed templates instead of sending them on', () => {
    expect(renderError('{{ env.SECRET }}').message).toContain('is not a template');
    expect(renderError('x {{input.a').message).toContain('never closed');
  });
});

describe('resolveTemplateRef', () => {
  it('resolves a parsed reference', () => {
    expect(resolveTemplateRef({ source: 'node', nodeId: 'fetch', path: ['body', 'currency'] }, scope)).toBe('EUR');
  });
});

describe('RenderBudget (issue 10 item 10: bounded rendering)', () => {
  const big = 'x'.repeat(400_000);
  const scope = (budget?: RenderBudget) => ({
    input: { big, n: 5, obj: { a: big } },
    nodes: { a: { output: { body: big } } },
    budget,
  });

  it('item 10: fails with TemplateError once a node renders more than the limit, counting each substitution', () => {
    const budget = new RenderBudget();
    expect(() =>
      renderTemplateValue(
        { a: '{{input.big}}', b: '{{input.big}}', c: 'again: {{nodes.a.output.body}}' },
        scope(budget),
      ),
    ).toThrow(TemplateError);
    expect(() =>
      renderTemplateValue({ a: '{{input.big}}', b: '{{input.big}}' }, scope(new RenderBudget())),
    ).not.toThrow();
  });

  it('item 10: counts values that keep their JSON type by their JSON size', () => {
    const budget = new RenderBudget(1000);
    expect(() => renderTemplateValue(['{{input.obj}}'], scope(budget))).toThrow(
      'rendered values exceed 1000 bytes (the per-node limit)',
    );
  });

  it('item 10: counts literal text, keys and primitives, and is shared by every call that uses the scope', () => {
    const budget = new RenderBudget(100);
    const shared = scope(budget);
    renderTemplateValue({ key: 'abc', n: 12 }, shared);
    expect(budget.usedBytes).toBe('key'.length + 'abc'.length + 'n'.length + '12'.length);
    renderTemplateString('n={{input.n}}', shared);
    expect(budget.usedBytes).toBe(9 + 'n='.length + '5'.length);
    expect(() => renderUrl(`http://h/${'p'.repeat(50)}/{{input.big}}`, shared)).toThrow(TemplateError);
  });

  it('stops before building the copies: a thousand references to a large value fail at the third', () => {
    const budget = new RenderBudget();
    const body = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'v {{input.big}}']));
    expect(() => renderTemplateValue(body, scope(budget))).toThrow(TemplateError);
    expect(budget.usedBytes).toBeLessThan(1_300_000);
  });

  it('without a budget, rendering is unbounded (callers opt in)', () => {
    expect(() =>
      renderTemplateValue({ a: '{{input.big}}', b: '{{input.big}}', c: '{{input.big}}' }, scope()),
    ).not.toThrow();
  });
});
