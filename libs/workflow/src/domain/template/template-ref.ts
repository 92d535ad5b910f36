/**
 * What a `{{ ... }}` may name (SPEC §3): a path into the run input, or a path into the output of
 * another node. Nothing else — no expressions, no code.
 */
export type TemplateRef =
  | { readonly source: 'input'; readonly path: readonly string[] }
  | { readonly source: 'node'; readonly nodeId: string; readonly path: readonly string[] };

/** A key of an object or an index of an array, e.g. `body`, `line_items`, `0`. */
const SEGMENT = '[A-Za-z0-9_-]+';
const INPUT_REF = new RegExp(`^input((?:\\.${SEGMENT})*)$`);
const NODE_REF = new RegExp(`^nodes\\.(${SEGMENT})\\.output((?:\\.${SEGMENT})*)$`);

/** Parses the text between the braces (surrounding whitespace allowed); null when it is not a reference. */
export function parseTemplateExpression(expression: string): TemplateRef | null {
  const text = expression.trim();
  const input = INPUT_REF.exec(text);
  if (input) return { source: 'input', path: splitPath(input[1]!) };
  const node = NODE_REF.exec(text);
  if (node) return { source: 'node', nodeId: node[1]!, path: splitPath(node[2]!) };
  return null;
}

/** The canonical spelling of a reference, as used in messages: `nodes.fetch.output.body.total`. */
export function formatTemplateRef(ref: TemplateRef): string {
  const head = ref.source === 'input' ? ['input'] : ['nodes', ref.nodeId, 'output'];
  return [...head, ...ref.path].join('.');
}

function splitPath(dotted: string): string[] {
  return dotted === '' ? [] : dotted.slice(1).split('.');
}
