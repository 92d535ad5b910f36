export type CappedBody = { kind: 'complete'; bytes: Uint8Array } | { kind: 'too_large' };

/**
 * Reads a response body chunk by chunk and stops as soon as it passes `limit` bytes, so nothing
 * beyond the cap (plus the chunk that crossed it) is ever held. The caller aborts the connection
 * on `too_large`; the stream is cancelled here as well.
 */
export async function readCappedBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<CappedBody> {
  if (body === null) return { kind: 'complete', bytes: new Uint8Array(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => undefined);
      return { kind: 'too_large' };
    }
    chunks.push(value);
  }
  return { kind: 'complete', bytes: concat(chunks, total) };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
