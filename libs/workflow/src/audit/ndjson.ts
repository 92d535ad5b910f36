/**
 * NDJSON (one JSON text per line, each ended by `\n`). JSON.stringify escapes every control
 * character inside strings, so a value never spills over a line; U+2028/U+2029 are escaped as well
 * so that line-splitting readers that treat them as breaks (JavaScript's own, for one) agree.
 */
export function toNdjsonLine(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('NDJSON lines must be JSON values');
  return json.replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029')) + '\n';
}

/** Many lines as one chunk (one write per batch keeps a streamed export cheap). */
export function toNdjsonChunk(values: readonly unknown[]): string {
  let chunk = '';
  for (const value of values) chunk += toNdjsonLine(value);
  return chunk;
}
