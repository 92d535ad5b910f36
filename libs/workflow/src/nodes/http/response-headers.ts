/** Headers never copied into a node's output: cookies are session state, not data. */
const DROPPED_HEADERS: ReadonlySet<string> = new Set(['set-cookie']);

/** A response's headers as a plain record with lower-case names (repeated fields joined by `, `). */
export function responseHeaderRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (!DROPPED_HEADERS.has(name)) record[name] = value;
  }
  return record;
}
