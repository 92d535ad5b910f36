import { describe, expect, it } from '@jest/globals';
import { formatMs, percentile } from './percentiles.js';

describe('percentile (nearest rank)', () => {
  it('picks the value at the rank', () => {
    const sample = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(percentile(sample, 50)).toBe(50);
    expect(percentile(sample, 95)).toBe(95);
    expect(percentile(sample, 100)).toBe(100);
    expect(percentile(sample, 0)).toBe(1);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('formats milliseconds for the table', () => {
    expect(formatMs(0.123)).toBe('0.12');
    expect(formatMs(12.345)).toBe('12.3');
    expect(formatMs(Number.NaN)).toBe('-');
  });
});
