import { z } from 'zod';

/** Fields the response views share: ISO 8601 instants, and the `{code, message}` error of runs and nodes. */
export const instant = z.iso.datetime({ offset: true });
export const nullableInstant = instant.nullable();

export const viewError = z
  .looseObject({ code: z.string(), message: z.string() })
  .describe('why it failed: a stable code and a human message');

/** The ISO form of a timestamp column (null stays null). */
export const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

/** `{items, nextCursor}` — every list of SPEC §7. */
export const pageSchemaOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
  });
