import { describe, expect, it } from '@jest/globals';
import { DEFAULT_CONCURRENCY_LIMIT, nextConcurrencyLimit, type ConcurrencyLimitSettings } from './concurrency-limit.js';

const settings: ConcurrencyLimitSettings = { min: 4, max: 32, targetMs: 10, smoothing: 0.5 };
const saturated = (...samples: number[]) => ({ samples, saturated: true });
const appLimited = (...samples: number[]) => ({ samples, saturated: false });

/** Limits over `count` windows of a saturated worker whose round trip is `roundTrip(limit)`. */
const trajectory = (start: number, roundTrip: (limit: number) => number, count: number): number[] => {
  const limits = [start];
  for (let i = 0; i < count; i++)
    limits.push(nextConcurrencyLimit(limits.at(-1)!, saturated(roundTrip(limits.at(-1)!)), settings));
  return limits;
};

describe('nextConcurrencyLimit', () => {
  it('grows by half of √limit per saturated window while completions are within the target', () => {
    expect(nextConcurrencyLimit(4, saturated(2, 3, 1), settings)).toBeCloseTo(4 + 0.5 * 2, 10);
    expect(nextConcurrencyLimit(16, saturated(10), settings)).toBeCloseTo(16 + 0.5 * 4, 10);
  });

  it('a saturated window without completions (every slot in a slow call) grows it too', () => {
    expect(nextConcurrencyLimit(9, saturated(), settings)).toBeCloseTo(9 + 0.5 * 3, 10);
  });

  it('never grows in a window that did not fill the limit (a lone run leaves it where it is)', () => {
    expect(nextConcurrencyLimit(4, appLimited(1, 1, 1), settings)).toBe(4);
    expect(nextConcurrencyLimit(7, appLimited(), settings)).toBe(7);
  });

  it('ignores samples that are not durations', () => {
    expect(nextConcurrencyLimit(7, appLimited(Number.NaN, -1, Number.POSITIVE_INFINITY), settings)).toBe(7);
    expect(nextConcurrencyLimit(16, saturated(Number.NaN, 1000, -5), settings)).toBeCloseTo(14, 10);
  });

  it('shrinks by the ratio of target to mean, at most halving the target per window, saturated or not', () => {
    // mean 20 ms: gradient ½; new = 16·½ + 4 = 12; half-way from 16: 14
    expect(nextConcurrencyLimit(16, saturated(10, 30), settings)).toBeCloseTo(14, 10);
    expect(nextConcurrencyLimit(16, appLimited(10, 30), settings)).toBeCloseTo(14, 10);
    // mean 1000 ms: the gradient stops at ½, same step
    expect(nextConcurrencyLimit(16, saturated(1000), settings)).toBeCloseTo(14, 10);
    // mean 12.5 ms: gradient 0.8; new = 12.8 + 4 = 16.8 → 16.4 when saturated (√limit headroom) …
    expect(nextConcurrencyLimit(16, saturated(12.5), settings)).toBeCloseTo(16.4, 10);
    // … but never up when the window did not fill it
    expect(nextConcurrencyLimit(16, appLimited(12.5), settings)).toBe(16);
  });

  it('never leaves [min, max]', () => {
    expect(nextConcurrencyLimit(31.9, saturated(1), settings)).toBe(32);
    expect(nextConcurrencyLimit(32, saturated(1), settings)).toBe(32);
    expect(nextConcurrencyLimit(4, saturated(10_000), settings)).toBe(4);
  });

  it('a saturated machine (round trip ∝ chains in flight, Little) settles a little over the target', () => {
    const settled = trajectory(settings.max, (limit) => 1.5 * limit, 60).slice(-10);
    for (const limit of settled) {
      expect(limit).toBeGreaterThan(6);
      expect(limit).toBeLessThan(12);
    }
  });

  it('a saturated worker with fast completions (slow downstream) climbs from min to max in under 25 windows', () => {
    const limits = trajectory(settings.min, () => 2, 40);
    const reached = limits.indexOf(settings.max);
    expect(reached).toBeGreaterThan(0);
    expect(reached).toBeLessThan(25);
  });

  it('has defaults a worker can start from', () => {
    expect(DEFAULT_CONCURRENCY_LIMIT.min).toBeLessThan(DEFAULT_CONCURRENCY_LIMIT.max);
    expect(nextConcurrencyLimit(DEFAULT_CONCURRENCY_LIMIT.min, saturated(1))).toBeGreaterThan(
      DEFAULT_CONCURRENCY_LIMIT.min,
    );
  });
});
