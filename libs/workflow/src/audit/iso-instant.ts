/**
 * Parses an ISO 8601 instant as the audit filters accept it: a date-time with a zone (`Z` or
 * `±hh:mm`) or a bare date (UTC midnight). A date-time without a zone is refused: its meaning would
 * depend on the server's time zone. Stored times have millisecond precision, so a finer fraction is
 * rounded up to the next millisecond, which keeps `from ≤ at` and `at < to` exact for every row.
 * Returns null for anything else, including impossible dates (February 30th) and years outside
 * 0001–9999.
 */
export function parseIsoInstant(text: string): Date | null {
  const m = ISO_INSTANT.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (h === undefined) return utc(year, month, day, 0, 0, 0, 0);

  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return null;

  const digits = fraction ?? '';
  let millis = Number(digits.slice(0, 3).padEnd(3, '0'));
  if (/[1-9]/.test(digits.slice(3))) millis += 1;

  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const [, sign, oh, om] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone!)!;
    if (Number(oh) > 23 || Number(om) > 59) return null;
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  }
  const local = utc(year, month, day, hour, minute, second, millis);
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
  return utc(year, month + 1, 0, 0, 0, 0, 0).getUTCDate();
}

/** Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not. */
function utc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date;
}
