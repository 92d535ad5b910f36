import type { Problem } from '../problem.js';
import type { TemplateRef } from './template-ref.js';
import { tokenizeTemplate } from './template-tokens.js';
import { walkStrings } from './walk-strings.js';

export interface TemplateRefAt {
  /** JSON path of the string holding the template, e.g. `$.nodes[2].request.body.total`. */
  readonly path: string;
  readonly ref: TemplateRef;
}

/** Every well-formed template reference inside `value`, with the path of its string. */
export function extractTemplateRefs(value: unknown, rootPath = '$'): TemplateRefAt[] {
  const refs: TemplateRefAt[] = [];
  walkStrings(value, rootPath, (text, path) => {
    for (const token of tokenizeTemplate(text)) if (token.kind === 'template') refs.push({ path, ref: token.ref });
  });
  return refs;
}

/** Every malformed template inside `value` (`{{ foo }}`, `{{input.}}`, an unclosed `{{`), with its path. */
export function findMalformedTemplates(value: unknown, rootPath = '$'): Problem[] {
  const problems: Problem[] = [];
  walkStrings(value, rootPath, (text, path) => {
    for (const token of tokenizeTemplate(text))
      if (token.kind === 'malformed') problems.push({ path, message: token.problem });
  });
  return problems;
}
