import { createHash } from 'node:crypto';

/** The UUIDv5 namespace of Baton's child run ids (a random UUID, fixed forever). */
export const CHILD_RUN_NAMESPACE = '5f0b8a52-3d1e-4c6b-9a57-2b8f0c61d4e9';

/**
 * SPEC §11 "a crash never starts a second child for the same parent node attempt": the child of
 * (parent run, node, attempt) has one id, a UUIDv5 (RFC 9562 §5.5) of the three, so an attempt that
 * is executed again after a crash finds the child it already started.
 */
export function childRunId(parentRunId: string, nodeId: string, attempt: number): string {
  return uuidV5(CHILD_RUN_NAMESPACE, `${parentRunId}/${nodeId}/${attempt}`);
}

export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
