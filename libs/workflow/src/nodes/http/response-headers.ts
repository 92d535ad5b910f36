/** Headers never copied into a node's output: cookies are session state, not data. */
const DROPPED_HEADERS: ReadonlySet<string> = new Set(['set-cookie']);

/** A response's headers as a plain record with lower-case names (repeated fields joined by `, `). */
export function responseHeaderRecord(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || DROPPED_HEADERS.has(lower)) continue;
    record[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

/** One header's value from such a record, or null. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
