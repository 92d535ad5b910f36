import { describe, expect, it } from '@jest/globals';
import { RELEASE_RETRIES, isRetryableRelease, releaseRetryDelayMs } from './release-retry.js';

describe('token release retries (SPEC §10.4)', () => {
  it.each([null, 429, 500, 502, 503, 504])('retries after %p', (status) => {
    expect(isRetryableRelease(status)).toBe(true);
  });

  it.each([200, 400, 401, 403, 404, 405, 422])('%p is final', (status) => {
    expect(isRetryableRelease(status)).toBe(false);
  });

  it('backs off exponentially from the base, capped at a minute', () => {
    expect([1, 2, 3, 4, 5].map((n) => releaseRetryDelayMs(n, 500))).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(releaseRetryDelayMs(20, 500)).toBe(60_000);
  });

  it('is five retries', () => {
    expect(RELEASE_RETRIES).toBe(5);
  });
});
