import { describe, expect, it } from '@jest/globals';
import { jsonNestingExceeds } from './json-depth.js';

describe('jsonNestingExceeds (issue 10 item 11)', () => {
  const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

  it('allows up to the limit and refuses beyond it, for arrays and objects', () => {
    expect(jsonNestingExceeds(nested(64))).toBe(false);
    expect(jsonNestingExceeds(nested(65))).toBe(true);
    expect(jsonNestingExceeds('{"a":'.repeat(64) + '1' + '}'.repeat(64))).toBe(false);
    expect(jsonNestingExceeds('{"a":'.repeat(65) + '1' + '}'.repeat(65))).toBe(true);
    expect(jsonNestingExceeds('{"a":['.repeat(33) + ']}'.repeat(33))).toBe(true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeds(JSON.stringify({ s: '['.repeat(500) }))).toBe(false);
    expect(jsonNestingExceeds(JSON.stringify({ s: '\\"' + '{'.repeat(500) }))).toBe(false);
    expect(jsonNestingExceeds(`["\\\\", ${nested(64)}]`)).toBe(true);
  });

  it('counts depth, not totals: many siblings are fine', () => {
    expect(jsonNestingExceeds(`[${Array(10000).fill('[[]]').join(',')}]`)).toBe(false);
  });

  it('takes bytes and a custom limit', () => {
    expect(jsonNestingExceeds(Buffer.from(nested(3)), 2)).toBe(true);
    expect(jsonNestingExceeds(Buffer.from(nested(2)), 2)).toBe(false);
    expect(jsonNestingExceeds('')).toBe(false);
  });
});
