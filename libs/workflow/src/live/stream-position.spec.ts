import { describe, expect, it } from '@jest/globals';
import { compareStreamPositions, formatStreamPosition, parseStreamPosition } from './stream-position.js';

describe('stream positions', () => {
  it('round-trips through the SSE id', () => {
    const position = { tx: 9007199254740993n, id: 42n };
    expect(formatStreamPosition(position)).toBe('9007199254740993-42');
    expect(parseStreamPosition('9007199254740993-42')).toEqual(position);
  });

  it.each([
    '',
    '1',
    '1-',
    '-1',
    '1-2-3',
    'a-1',
    '1.5-2',
    '1 -2',
    '-1-2',
    '99999999999999999999-1',
    '1-9223372036854775808',
  ])('refuses %j', (text) => expect(parseStreamPosition(text)).toBeNull());

  it('accepts the largest int8 and surrounding whitespace', () => {
    expect(parseStreamPosition(' 9223372036854775807-1 ')).toEqual({ tx: 9223372036854775807n, id: 1n });
  });

  it('orders by transaction, then id', () => {
    const p = (tx: bigint, id: bigint) => ({ tx, id });
    expect(compareStreamPositions(p(1n, 9n), p(2n, 1n))).toBe(-1);
    expect(compareStreamPositions(p(2n, 1n), p(1n, 9n))).toBe(1);
    expect(compareStreamPositions(p(2n, 1n), p(2n, 3n))).toBe(-1);
    expect(compareStreamPositions(p(2n, 3n), p(2n, 3n))).toBe(0);
  });
});
