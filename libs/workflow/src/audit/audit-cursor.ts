import { DomainError, DomainErrorCode, decodeCursor, encodeCursor } from '@baton/platform';
import { AuditOrder } from './audit-order.js';

/**
 * An entry's position in the audit trail's total order, `(at, id)`. Rows are immutable and `at`
 * is stored at millisecond precision (a CHECK constraint holds it), so a JavaScript Date names a
 * position exactly.
 */
export interface AuditKey {
  at: Date;
  id: string;
}

const ORDER_TAG: Record<AuditOrder, string> = { [AuditOrder.Desc]: 'd', [AuditOrder.Asc]: 'a' };
const MAX_BIGINT = 9_223_372_036_854_775_807n;
/** Years 0001–9999: what the API's dates accept, and what Postgres reads back without surprises. */
const MIN_TIME = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The opaque cursor for "after this entry, in this order". */
export function encodeAuditCursor(order: AuditOrder, key: AuditKey): string {
  return encodeCursor(auditCursorKey(order, key));
}

export function auditCursorKey(order: AuditOrder, key: AuditKey): [string, number, string] {
  return [ORDER_TAG[order], key.at.getTime(), key.id];
}

/**
 * Reads a cursor this API issued for `order`. A cursor from the other order would silently jump
 * around the trail, so it is refused like any malformed one (400).
 */
export function decodeAuditCursor(cursor: string, order: AuditOrder): AuditKey {
  const [tag, at, id] = decodeCursor(cursor, 3);
  if (tag !== ORDER_TAG.asc && tag !== ORDER_TAG.desc) throw malformed();
  if (tag !== ORDER_TAG[order]) {
    throw new DomainError(DomainErrorCode.InvalidInput, 'Cursor does not match the order', [
      { path: '$.query.cursor', message: `was issued for order=${tag === ORDER_TAG.asc ? 'asc' : 'desc'}` },
    ]);
  }
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < MIN_TIME || at > MAX_TIME) throw malformed();
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,18}$/.test(id) || BigInt(id) > MAX_BIGINT) throw malformed();
  return { at: new Date(at), id };
}

function malformed(): DomainError {
  return new DomainError(DomainErrorCode.InvalidInput, 'Malformed cursor', [
    { path: '$.query.cursor', message: 'is not a cursor this API issued' },
  ]);
}
