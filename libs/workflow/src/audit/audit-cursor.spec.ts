import { describe, expect, it } from '@jest/globals';
import { DomainError, encodeCursor } from '@baton/platform';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor.js';

const key = { at: new Date('2026-11-20T10:15:30.123Z'), id: '9007199254740993' };

function problemOf(fn: () => unknown): { message: string; problems: unknown } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { message: (error as DomainError).message, problems: (error as DomainError).problems };
  }
  throw new Error('expected a DomainError');
}

describe('audit cursors', () => {
  it('round-trips (at, id) exactly, ids beyond 2^53 included', () => {
    expect(decodeAuditCursor(encodeAuditCursor('desc', key), 'desc')).toEqual(key);
    expect(decodeAuditCursor(encodeAuditCursor('asc', key), 'asc')).toEqual(key);
  });

  it('refuses a cursor issued for the other order', () => {
    const { message, problems } = problemOf(() => decodeAuditCursor(encodeAuditCursor('desc', key), 'asc'));
    expect(message).toBe('Cursor does not match the order');
    expect(problems).toEqual([{ path: '$.query.cursor', message: 'was issued for order=desc' }]);
  });

  it.each([
    ['garbage', 'not-base64-json!'],
    ['wrong arity', encodeCursor(['d', 1])],
    ['unknown order tag', encodeCursor(['x', 1, '1'])],
    ['fractional time', encodeCursor(['d', 1.5, '1'])],
    ['time out of range', encodeCursor(['d', 9e15, '1'])],
    ['time after year 9999', encodeCursor(['d', Date.UTC(10000, 0, 1), '1'])],
    ['time before year 1', encodeCursor(['d', -62_135_596_800_001, '1'])],
    ['id not a string', encodeCursor(['d', 1, 1])],
    ['id not digits', encodeCursor(['d', 1, '1; DROP TABLE audit_entries'])],
    ['id zero-padded', encodeCursor(['d', 1, '01'])],
    ['id beyond bigint', encodeCursor(['d', 1, '9223372036854775808'])],
  ])('refuses a malformed cursor (%s)', (_, cursor) => {
    expect(problemOf(() => decodeAuditCursor(cursor, 'desc')).message).toBe('Malformed cursor');
  });
});
