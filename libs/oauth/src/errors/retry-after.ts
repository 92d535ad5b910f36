// An HTTP-date starts with a day name (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" and the
// obsolete forms); requiring it keeps Date.parse from reading junk such as "-1" as a year.
const HTTP_DATE = /^[A-Za-z]{3}/;

/**
 * Milliseconds to wait according to a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date (a date in the past means "now", 0). Missing or malformed: undefined, so the caller's
 * own backoff applies.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) {
    const ms = Number(trimmed) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
