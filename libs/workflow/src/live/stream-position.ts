/**
 * Where an audit entry sits in the live stream (SPEC §13): its transaction id and its id, compared in
 * that order. Entries below the read horizon are final in this order (see the audit-stream-position
 * migration), so a client that resumes after a position gets every later entry exactly once.
 * As an SSE `id:` it is `<tx>-<id>`, both decimal.
 */
export interface StreamPosition {
  tx: bigint;
  id: bigint;
}

const POSITION = /^(\d{1,20})-(\d{1,20})$/;
const MAX_INT8 = 2n ** 63n - 1n;

export function formatStreamPosition(position: StreamPosition): string {
  return `${position.tx}-${position.id}`;
}

/** A `Last-Event-ID` as a position, or null when it is not one Baton could have sent. */
export function parseStreamPosition(text: string): StreamPosition | null {
  const match = POSITION.exec(text.trim());
  if (!match) return null;
  const tx = BigInt(match[1]!);
  const id = BigInt(match[2]!);
  if (tx > MAX_INT8 || id > MAX_INT8) return null;
  return { tx, id };
}

export function compareStreamPositions(a: StreamPosition, b: StreamPosition): number {
  if (a.tx !== b.tx) return a.tx < b.tx ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}
