import { TemplateError } from './template-error.js';
import { type TemplateRef, formatTemplateRef } from './template-ref.js';
import { type TemplateToken, containsTemplate, tokenizeTemplate } from './template-tokens.js';

/** What templates can see while a node runs: the run input and the outputs of finished nodes. */
export interface TemplateScope {
  readonly input: unknown;
  readonly nodes: Readonly<Record<string, { readonly output: unknown }>>;
  /** Caps what one node renders (issue 10 item 10); without one, rendering is unbounded. */
  readonly budget?: RenderBudget;
}

/** SPEC §16: a node's rendered request over 1 MiB fails it with `template_error`. */
export const DEFAULT_MAX_RENDERED_BYTES = 1_048_576;

/**
 * The bytes one node may render, across all its templated values: every rendered string and
 * every substituted value (as JSON) is charged as it is produced, so a definition that repeats a
 * large output many times fails before the copies are built, not after.
 */
export class RenderBudget {
  private used = 0;

  constructor(readonly limit: number = DEFAULT_MAX_RENDERED_BYTES) {}

  get usedBytes(): number {
    return this.used;
  }

  charge(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit)
      throw new TemplateError(`rendered values exceed ${this.limit} bytes (the per-node limit)`);
  }
}

function chargeString(scope: TemplateScope, text: string): string {
  scope.budget?.charge(Buffer.byteLength(text));
  return text;
}

function chargeValue(scope: TemplateScope, value: unknown): unknown {
  if (scope.budget)
    scope.budget.charge(
      typeof value === 'string' ? Buffer.byteLength(value) : Buffer.byteLength(JSON.stringify(value) ?? ''),
    );
  return value;
}

/**
 * Renders every string inside `value` (objects and arrays are walked, keys are left alone). A
 * string that is exactly one template becomes the referenced value with its JSON type; templates
 * inside a longer string are stringified. Throws `TemplateError` for a missing value.
 */
export function renderTemplateValue(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') return renderTemplateString(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderTemplateValue(item, scope));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [chargeString(scope, key), renderTemplateValue(item, scope)]),
    );
  }
  return chargeValue(scope, value);
}

export function renderTemplateString(text: string, scope: TemplateScope): unknown {
  if (!containsTemplate(text)) return chargeString(scope, text);
  const tokens = tokenizeTemplate(text);
  if (tokens.length === 1 && tokens[0]!.kind === 'template')
    return chargeValue(scope, resolveTemplateRef(tokens[0]!.ref, scope));
  return tokens.map((token) => renderToken(token, scope, stringifyTemplateValue)).join('');
}

/** Renders one token, passing substituted values through `encode` (plain stringification or URL encoding). */
export function renderToken(token: TemplateToken, scope: TemplateScope, encode: (value: unknown) => string): string {
  switch (token.kind) {
    case 'text':
      return chargeString(scope, token.text);
    case 'template':
      return chargeString(scope, encode(resolveTemplateRef(token.ref, scope)));
    case 'malformed':
      throw new TemplateError(token.problem);
  }
}

/** How a value reads inside a longer string: strings as they are, everything else as JSON. */
export function stringifyTemplateValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The value a reference names. Only own properties of objects and in-range indexes of arrays are
 * followed, so `constructor`, `__proto__` or an array's `length` are missing values, not leaks.
 */
export function resolveTemplateRef(ref: TemplateRef, scope: TemplateScope): unknown {
  const name = `{{${formatTemplateRef(ref)}}}`;
  let value: unknown;
  let reached: string;
  if (ref.source === 'input') {
    value = scope.input;
    reached = 'input';
  } else {
    if (!Object.hasOwn(scope.nodes, ref.nodeId)) {
      throw new TemplateError(`${name} refers to a missing value: node "${ref.nodeId}" has no output`);
    }
    value = scope.nodes[ref.nodeId]!.output;
    reached = `nodes.${ref.nodeId}.output`;
  }
  if (value === undefined) throw new TemplateError(`${name} refers to a missing value: ${reached} is undefined`);
  for (const segment of ref.path) {
    const next = child(value, segment);
    if (next === undefined)
      throw new TemplateError(`${name} refers to a missing value: ${reached} has no "${segment}"`);
    value = next;
    reached = `${reached}.${segment}`;
  }
  return value;
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

function child(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return ARRAY_INDEX.test(segment) ? value[Number(segment)] : undefined;
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, segment)) {
    return (value as Record<string, unknown>)[segment];
  }
  return undefined;
}
