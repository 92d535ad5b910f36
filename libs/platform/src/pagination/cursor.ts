import { z } from 'zod';
import { DomainError, DomainErrorCode } from '../errors/domain-error.js';

/** A page of a keyset-paginated list (SPEC §7). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Keyset cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((k) => typeof k === 'string' || typeof k === 'number')
    ) {
      return key;
    }
  } catch {
    // fall through to the error below
  }
  throw new DomainError(DomainErrorCode.InvalidInput, 'Malformed cursor', [
    { path: '$.query.cursor', message: 'is not a cursor this API issued' },
  ]);
}

const timeAndId = z.tuple([z.iso.datetime(), z.uuid()]);

/** A cursor over (created_at, id) lists, checked so a forged cursor is a 400, never a database error. */
export function decodeTimeIdCursor(cursor: string): [string, string] {
  const parsed = timeAndId.safeParse(decodeCursor(cursor, 2));
  if (parsed.success) return parsed.data;
  throw new DomainError(DomainErrorCode.InvalidInput, 'Malformed cursor', [
    { path: '$.query.cursor', message: 'is not a cursor this API issued' },
  ]);
}

/** `limit` and `cursor`, shared by every list. */
export const pageQuerySchema = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(1024).optional(),
};

/** Fetch limit+1 rows, then call this to cut the extra row and compute the next cursor. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => (string | number)[]): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? encodeCursor(keyOf(items[items.length - 1]!)) : null };
}

/** Parses query parameters with a zod schema; any problem is a 400 naming the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  throw new DomainError(
    DomainErrorCode.InvalidInput,
    'Invalid query parameters',
    result.error.issues.map((i) => ({
      path: `$.query${i.path.length ? '.' + i.path.join('.') : ''}${i.code === 'unrecognized_keys' ? '.' + i.keys.join(',') : ''}`,
      message: i.code === 'unrecognized_keys' ? 'unknown parameter' : i.message,
    })),
  );
}
