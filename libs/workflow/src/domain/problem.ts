/**
 * One thing wrong with a workflow definition or a run input, located by a JSON path such as
 * `$.nodes[1].request.url`. The API lists every problem in a 400 or 422 answer.
 */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Renders path segments as a JSON path: `$` root, `.key` for ordinary keys (hyphens allowed, so
 * `headers.content-type` reads naturally), `[index]` for array indexes and `["key"]` for keys that
 * would be ambiguous after a dot (empty, containing dots, spaces or brackets).
 */
export function jsonPath(segments: readonly PathSegment[], root = '$'): string {
  let path = root;
  for (const segment of segments) path = appendPath(path, segment);
  return path;
}

export function appendPath(path: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  return PLAIN_KEY.test(segment) ? `${path}.${segment}` : `${path}[${JSON.stringify(segment)}]`;
}
