/**
 * One Server-Sent Events frame: optional `id:`, `event:`, one `data:` line. `json` is already
 * serialized (JSON.stringify never emits a raw newline), so a feed batch is serialized once for
 * every stream that sends it.
 */
export function sseFrame(event: string, json: string, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${json}\n\n`;
}
