import { describe, expect, it } from '@jest/globals';
import { bucketCount, bucketStart } from './audit-stats-buckets.js';

const at = (text: string) => new Date(text);

describe('audit stats buckets', () => {
  it('aligns to UTC minute, hour and day boundaries', () => {
    const t = at('2026-11-20T23:59:59.999Z');
    expect(bucketStart(t, 'minute').toISOString()).toBe('2026-11-20T23:59:00.000Z');
    expect(bucketStart(t, 'hour').toISOString()).toBe('2026-11-20T23:00:00.000Z');
    expect(bucketStart(t, 'day').toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(bucketStart(at('2026-11-21T00:00:00.000Z'), 'day').toISOString()).toBe('2026-11-21T00:00:00.000Z');
  });

  it('aligns to UTC even for instants written with an offset, and before 1970', () => {
    expect(bucketStart(at('2026-11-21T01:30:00+05:30'), 'day').toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(bucketStart(at('1969-12-31T23:59:59.500Z'), 'hour').toISOString()).toBe('1969-12-31T23:00:00.000Z');
  });

  it('counts the buckets a half-open range touches', () => {
    expect(bucketCount(at('2026-11-20T00:00:00Z'), at('2026-11-21T00:00:00Z'), 'hour')).toBe(24);
    expect(bucketCount(at('2026-11-20T00:30:00Z'), at('2026-11-20T01:00:00.001Z'), 'hour')).toBe(2);
    expect(bucketCount(at('2026-11-20T00:30:00Z'), at('2026-11-20T00:30:00.001Z'), 'day')).toBe(1);
    expect(bucketCount(at('2026-11-20T00:00:00Z'), at('2026-11-27T00:00:00Z'), 'minute')).toBe(10_080);
    expect(bucketCount(at('2026-11-20T00:00:00Z'), at('2026-11-20T00:00:00Z'), 'minute')).toBe(0);
    expect(bucketCount(at('2026-11-21T00:00:00Z'), at('2026-11-20T00:00:00Z'), 'minute')).toBe(0);
  });
});
