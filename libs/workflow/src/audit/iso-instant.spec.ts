import { describe, expect, it } from '@jest/globals';
import { parseIsoInstant } from './iso-instant.js';

const iso = (text: string) => parseIsoInstant(text)?.toISOString() ?? null;

describe('parseIsoInstant', () => {
  it('reads date-times with Z or an offset', () => {
    expect(iso('2026-11-20T10:15:30Z')).toBe('2026-11-20T10:15:30.000Z');
    expect(iso('2026-11-20T10:15:30.123Z')).toBe('2026-11-20T10:15:30.123Z');
    expect(iso('2026-11-20T10:15Z')).toBe('2026-11-20T10:15:00.000Z');
    expect(iso('2026-11-20T12:15:30+02:00')).toBe('2026-11-20T10:15:30.000Z');
    expect(iso('2026-11-20T05:15:30-0500')).toBe('2026-11-20T10:15:30.000Z');
    expect(iso('2026-11-20T15:45:30+05:30')).toBe('2026-11-20T10:15:30.000Z');
    expect(iso('2026-11-20t10:15:30z')).toBe('2026-11-20T10:15:30.000Z');
  });

  it('reads a bare date as UTC midnight', () => {
    expect(iso('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    expect(iso('0001-01-01')).toBe('0001-01-01T00:00:00.000Z');
    expect(iso('0099-03-01')).toBe('0099-03-01T00:00:00.000Z');
  });

  it('rounds a sub-millisecond fraction up, so from/to bounds stay exact for millisecond rows', () => {
    expect(iso('2026-11-20T10:15:30.123000Z')).toBe('2026-11-20T10:15:30.123Z');
    expect(iso('2026-11-20T10:15:30.1230001Z')).toBe('2026-11-20T10:15:30.124Z');
    expect(iso('2026-11-20T10:15:30.999999Z')).toBe('2026-11-20T10:15:31.000Z');
    expect(iso('2026-11-20T10:15:30.5Z')).toBe('2026-11-20T10:15:30.500Z');
  });

  it('checks the calendar (leap years included)', () => {
    expect(iso('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('2026-02-29')).toBeNull();
    expect(iso('2026-04-31')).toBeNull();
    expect(iso('2026-13-01')).toBeNull();
    expect(iso('2026-00-10')).toBeNull();
    expect(iso('0000-01-01')).toBeNull();
  });

  it('refuses anything ambiguous or malformed', () => {
    for (const text of [
      '',
      'yesterday',
      '2026-11-20T10:15:30', // no zone: would depend on the server's time zone
      '2026-11-20 10:15:30Z',
      '2026-11-20T24:00:00Z',
      '2026-11-20T10:60:00Z',
      '2026-11-20T10:15:60Z', // no leap seconds
      '2026-11-20T10:15:30+24:00',
      '2026-11-20T10:15:30.Z',
      '2026-11-20T10:15:30.1234567890Z',
      '+012026-11-20T10:15:30Z',
      '1732300000000',
      ' 2026-11-20',
      '2026-11-20\n',
    ]) {
      expect([text, iso(text)]).toEqual([text, null]);
    }
  });
});
