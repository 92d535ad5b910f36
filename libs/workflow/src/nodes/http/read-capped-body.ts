export type CappedBody = { kind: 'complete'; bytes: Buffer } | { kind: 'too_large' };

/**
 * Reads a response body chunk by chunk and stops as soon as it passes `limit` bytes, so nothing
 * beyond the cap (plus the chunk that crossed it) is ever held. Destroying the body then closes
 * the connection.
 */
export async function readCappedBody(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  limit: number,
): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) {
      body.destroy();
      return { kind: 'too_large' };
    }
    chunks.push(chunk);
  }
  return { kind: 'complete', bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total) };
}
