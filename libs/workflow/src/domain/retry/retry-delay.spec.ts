import { describe, expect, it } from '@jest/globals';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from './retry-delay.js';

const at = (r: number) => () => r;

describe('retryDelayMs', () => {
  it('doubles the nominal delay per attempt and jitters its upper half', () => {
    expect(retryDelayMs({ attempt: 1, backoffMs: 1000, random: at(0) })).toBe(500);
    expect(retryDelayMs({ attempt: 1, backoffMs: 1000, random: at(0.999999) })).toBe(1000);
    expect(retryDelayMs({ attempt: 2, backoffMs: 1000, random: at(0) })).toBe(1000);
    expect(retryDelayMs({ attempt: 3, backoffMs: 1000, random: at(0.5) })).toBe(3000);
  });

  it('stays within [nominal/2, nominal] for any random value', () => {
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs({ attempt: 4, backoffMs: 100 });
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });

  it('honours Retry-After as a floor that jitter never shortens', () => {
    expect(retryDelayMs({ attempt: 1, backoffMs: 100, retryAfterMs: 5000, random: at(0) })).toBe(5000);
    expect(retryDelayMs({ attempt: 1, backoffMs: 10_000, retryAfterMs: 10, random: at(0) })).toBe(5000);
  });

  it('caps the delay, the Retry-After and huge attempt counts', () => {
    expect(retryDelayMs({ attempt: 100, backoffMs: 1000, random: at(0.999) })).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs({ attempt: 1, backoffMs: 1, retryAfterMs: 86_400_000 })).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs({ attempt: 2, backoffMs: 1000, capMs: 1500, random: at(0.9999) })).toBe(1500);
    expect(retryDelayMs({ attempt: 2, backoffMs: 1000, capMs: 1500, random: at(0) })).toBe(750);
    expect(Number.isFinite(retryDelayMs({ attempt: 10_000, backoffMs: 1e9 }))).toBe(true);
  });

  it('treats a zero backoff as no wait and clamps odd inputs', () => {
    expect(retryDelayMs({ attempt: 1, backoffMs: 0 })).toBe(0);
    expect(retryDelayMs({ attempt: 0, backoffMs: 100, random: at(0) })).toBe(50);
    expect(retryDelayMs({ attempt: 1, backoffMs: -5, random: at(0) })).toBe(0);
    expect(retryDelayMs({ attempt: 1, backoffMs: 100, random: at(7) })).toBe(100);
  });
});
