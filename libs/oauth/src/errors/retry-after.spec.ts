import { describe, expect, it } from '@jest/globals';
import { parseRetryAfter } from './retry-after.js';

const NOW = Date.UTC(2026, 10, 2, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Mon, 02 Nov 2026 12:00:45 GMT', NOW)).toBe(45_000);
    expect(parseRetryAfter('Mon, 02 Nov 2026 11:00:00 GMT', NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, null, '', '  ', '-1', '1.5', 'soon', '2026-11-02', 'Mon, 99 Foo']) {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    }
  });
});
