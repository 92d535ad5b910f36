import { describe, expect, it } from '@jest/globals';
import { containsTemplate, tokenizeTemplate } from './template-tokens.js';

describe('tokenizeTemplate', () => {
  it('returns plain text as one text token, and nothing for an empty string', () => {
    expect(tokenizeTemplate('no templates } here {')).toEqual([{ kind: 'text', text: 'no templates } here {' }]);
    expect(tokenizeTemplate('')).toEqual([]);
  });

  it('splits text and templates in order', () => {
    expect(tokenizeTemplate('Submit {{input.id}} for {{ nodes.fetch.output.total }}?')).toEqual([
      { kind: 'text', text: 'Submit ' },
      { kind: 'template', source: '{{input.id}}', ref: { source: 'input', path: ['id'] } },
      { kind: 'text', text: ' for ' },
      {
        kind: 'template',
        source: '{{ nodes.fetch.output.total }}',
        ref: { source: 'node', nodeId: 'fetch', path: ['total'] },
      },
      { kind: 'text', text: '?' },
    ]);
  });

  it('handles adjacent templates', () => {
    expect(tokenizeTemplate('{{input.a}}{{input.b}}').map((t) => t.kind)).toEqual(['template', 'template']);
  });

  it('marks a template that is not a reference as malformed, naming it', () => {
    const [token] = tokenizeTemplate('{{ foo }}');
    expect(token).toMatchObject({ kind: 'malformed', source: '{{ foo }}' });
    expect(token!.kind === 'malformed' && token!.problem).toContain('"{{ foo }}" is not a template');
  });

  it('marks an empty template as malformed', () => {
    expect(tokenizeTemplate('a{{}}b').map((t) => t.kind)).toEqual(['text', 'malformed', 'text']);
  });

  it('marks an unclosed template as malformed', () => {
    const tokens = tokenizeTemplate('x {{input.a');
    expect(tokens).toEqual([
      { kind: 'text', text: 'x ' },
      {
        kind: 'malformed',
        source: '{{input.a',
        problem: '"{{input.a" opens a template that is never closed with "}}"',
      },
    ]);
  });

  it('treats nested or tripled braces as malformed rather than guessing', () => {
    expect(tokenizeTemplate('{{{input.a}}}').map((t) => t.kind)).toEqual(['malformed', 'text']);
    expect(tokenizeTemplate('{{ {{input.a}} }}').map((t) => t.kind)).toEqual(['malformed', 'text']);
  });
});

describe('containsTemplate', () => {
  it('is true when a string opens a template', () => {
    expect(containsTemplate('a {{input.x}}')).toBe(true);
    expect(containsTemplate('a {{')).toBe(true);
    expect(containsTemplate('a { b } }}')).toBe(false);
  });
});
