import { type TemplateRef, parseTemplateExpression } from './template-ref.js';

export type TemplateToken =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'template'; readonly source: string; readonly ref: TemplateRef }
  | { readonly kind: 'malformed'; readonly source: string; readonly problem: string };

const OPEN = '{{';
const CLOSE = '}}';

/**
 * Splits a string into literal text and `{{ ... }}` templates. Every `{{` starts a template, so a
 * validator and the renderer built on this one tokenizer always agree on what is a template.
 * `source` is the template as written, braces included.
 */
export function tokenizeTemplate(text: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf(OPEN, at);
    if (open === -1) {
      tokens.push({ kind: 'text', text: text.slice(at) });
      break;
    }
    if (open > at) tokens.push({ kind: 'text', text: text.slice(at, open) });
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close === -1) {
      tokens.push({
        kind: 'malformed',
        source: text.slice(open),
        problem: `"${text.slice(open)}" opens a template that is never closed with "}}"`,
      });
      break;
    }
    const source = text.slice(open, close + CLOSE.length);
    const ref = parseTemplateExpression(source.slice(OPEN.length, -CLOSE.length));
    tokens.push(
      ref
        ? { kind: 'template', source, ref }
        : {
            kind: 'malformed',
            source,
            problem: `"${source}" is not a template: use {{input.<path>}} or {{nodes.<id>.output.<path>}}`,
          },
    );
    at = close + CLOSE.length;
  }
  return tokens;
}

export function containsTemplate(text: string): boolean {
  return text.includes(OPEN);
}
