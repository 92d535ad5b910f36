import { describe, expect, it } from '@jest/globals';
import type { TemplateScope } from './render-template.js';
import { renderUrl } from './render-url.js';
import { TemplateError } from './template-error.js';

const scope: TemplateScope = {
  input: {
    id: 'r-42',
    slashy: 'a/b',
    spaced: 'a b&c=d?e#f',
    unicode: 'café',
    n: 5,
    obj: { a: 1 },
    dot: '.',
    dots: '..',
    encodedDots: '%2e%2E',
    dotsInside: 'a..b',
    lone: '\uD800',
  },
  nodes: { fetch: { output: { body: { next: 'page/2' } } } },
};

function urlError(url: string): TemplateError {
  try {
    renderUrl(url, scope);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('renderUrl', () => {
  it('leaves a URL without templates unchanged', () => {
    expect(renderUrl('https://api.example.com:8443/a/b?x=1#top', scope)).toBe(
      'https://api.example.com:8443/a/b?x=1#top',
    );
  });

  it('substitutes path values', () => {
    expect(renderUrl('http://127.0.0.1:5000/reports/{{input.id}}/submit', scope)).toBe(
      'http://127.0.0.1:5000/reports/r-42/submit',
    );
  });

  it('percent-encodes path values so they stay one segment', () => {
    expect(renderUrl('http://h/reports/{{input.slashy}}', scope)).toBe('http://h/reports/a%2Fb');
    expect(renderUrl('http://h/p/{{ nodes.fetch.output.body.next }}', scope)).toBe('http://h/p/page%2F2');
    expect(renderUrl('http://h/p/{{input.spaced}}', scope)).toBe('http://h/p/a%20b%26c%3Dd%3Fe%23f');
    expect(renderUrl('http://h/p/{{input.unicode}}', scope)).toBe('http://h/p/caf%C3%A9');
  });

  it('stringifies non-string values before encoding', () => {
    expect(renderUrl('http://h/p/{{input.n}}', scope)).toBe('http://h/p/5');
    expect(renderUrl('http://h/p/{{input.obj}}', scope)).toBe('http://h/p/%7B%22a%22%3A1%7D');
  });

  it('encodes query values as query components', () => {
    expect(renderUrl('http://h/search?q={{input.spaced}}&page={{input.n}}', scope)).toBe(
      'http://h/search?q=a%20b%26c%3Dd%3Fe%23f&page=5',
    );
    expect(renderUrl('http://h/?next={{input.slashy}}', scope)).toBe('http://h/?next=a%2Fb');
  });

  it('keeps literal query and fragment text as written', () => {
    expect(renderUrl('http://h/a/{{input.id}}?x=/literal/&y={{input.id}}#frag/{{input.slashy}}', scope)).toBe(
      'http://h/a/r-42?x=/literal/&y=r-42#frag/a%2Fb',
    );
  });

  it('does not treat an encoded ? or # in a value as the start of the query', () => {
    expect(renderUrl('http://h/{{input.spaced}}/tail', scope)).toBe('http://h/a%20b%26c%3Dd%3Fe%23f/tail');
  });

  it('allows dots inside a longer segment', () => {
    expect(renderUrl('http://h/{{input.dotsInside}}', scope)).toBe('http://h/a..b');
    expect(renderUrl('http://h/x{{input.dot}}', scope)).toBe('http://h/x.');
  });

  it('allows a dot value in the query', () => {
    expect(renderUrl('http://h/p?dir={{input.dots}}', scope)).toBe('http://h/p?dir=..');
  });

  it.each([
    'http://h/reports/{{input.dots}}/delete',
    'http://h/{{input.dot}}',
    'http://h/{{input.dot}}{{input.dot}}',
    'http://h/a/%2e{{input.dot}}',
  ])('refuses a value that makes a dot segment: %s', (url) => {
    expect(urlError(url).message).toContain('may not make the path segment');
  });

  it('encodes the % of an encoded dot in a value, so it cannot form a dot segment', () => {
    expect(renderUrl('http://h/a/{{input.encodedDots}}', scope)).toBe('http://h/a/%252e%252E');
  });

  it('keeps a literal dot segment that no template produced', () => {
    expect(renderUrl('http://h/a/../b/{{input.id}}', scope)).toBe('http://h/a/../b/r-42');
  });

  it('never templates the scheme or host', () => {
    expect(urlError('http://{{input.id}}.example.com/').message).toContain('the scheme and host must be literal');
    expect(urlError('{{input.url}}').message).toContain('is not an absolute URL');
    expect(urlError('http://h:{{input.n}}/').message).toContain('must be literal');
  });

  it('fails with a TemplateError on a missing value', () => {
    const error = urlError('http://h/{{input.nope}}');
    expect(error.code).toBe('template_error');
    expect(error.message).toContain('{{input.nope}}');
  });

  it('fails with a TemplateError on a value that cannot be encoded', () => {
    expect(urlError('http://h/{{input.lone}}').message).toContain('not valid Unicode');
  });

  it('treats a backslash like a slash, as URL parsers do for http', () => {
    expect(renderUrl('http://h\\{{input.slashy}}', scope)).toBe('http://h\\a%2Fb');
    expect(urlError('http://h\\{{input.dots}}').message).toContain('may not make the path segment');
  });
});
