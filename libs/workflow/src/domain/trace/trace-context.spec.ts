import { describe, expect, it } from '@jest/globals';
import { childTraceparent, formatTraceparent, parseTraceparent } from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('parseTraceparent (W3C Trace Context §3.2, §4.3)', () => {
  it('reads a version-00 header', () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '01' });
    expect(parseTraceparent(`  00-${TRACE}-${PARENT}-00 `)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '00' });
  });

  it('reads a future version by its 00 prefix, extra fields ignored', () => {
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-will-be-like`)).toEqual({
      traceId: TRACE,
      parentId: PARENT,
      flags: '01',
    });
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '01' });
  });

  it.each([
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with extra fields', `00-${TRACE}-${PARENT}-01-extra`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['missing flags', `00-${TRACE}-${PARENT}`],
    ['junk', 'hello'],
    ['empty', ''],
    ['oversized', `00-${TRACE}-${PARENT}-01${' '.repeat(600)}`],
  ])('drops %s', (_, header) => {
    expect(parseTraceparent(header)).toBeNull();
  });

  it('drops a missing header and repeated headers', () => {
    expect(parseTraceparent(undefined)).toBeNull();
    expect(parseTraceparent([`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`])).toBeNull();
  });
});

describe('childTraceparent', () => {
  it('keeps the trace id and flags and takes a new parent id', () => {
    const parent = parseTraceparent(`00-${TRACE}-${PARENT}-01`)!;
    expect(childTraceparent(parent, () => 'b7ad6b7169203331')).toBe(`00-${TRACE}-b7ad6b7169203331-01`);
    const random = parseTraceparent(childTraceparent(parent))!;
    expect(random.traceId).toBe(TRACE);
    expect(random.flags).toBe('01');
    expect(random.parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(random.parentId).not.toBe(PARENT);
  });

  it('always writes version 00', () => {
    expect(formatTraceparent(parseTraceparent(`cc-${TRACE}-${PARENT}-01-x`)!)).toBe(`00-${TRACE}-${PARENT}-01`);
  });
});
