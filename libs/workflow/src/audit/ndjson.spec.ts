import { describe, expect, it } from '@jest/globals';
import { toNdjsonChunk, toNdjsonLine } from './ndjson.js';

describe('NDJSON encoding', () => {
  it('writes one JSON text per line, newline-terminated', () => {
    expect(toNdjsonLine({ a: 1, b: 'x' })).toBe('{"a":1,"b":"x"}\n');
    expect(toNdjsonChunk([{ a: 1 }, null, 'two'])).toBe('{"a":1}\nnull\n"two"\n');
    expect(toNdjsonChunk([])).toBe('');
  });

  it('keeps every value on its line, whatever its strings hold', () => {
    const nasty = { error: 'line1\nline2\r\n\u2028\u2029\u0000"}{' };
    const chunk = toNdjsonChunk([nasty, nasty]);
    const lines = chunk.split(/\r\n|\n|\r|\u2028|\u2029/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines.slice(0, 2).map((l) => JSON.parse(l))).toEqual([nasty, nasty]);
  });

  it('refuses what JSON cannot encode', () => {
    expect(() => toNdjsonLine(undefined)).toThrow(TypeError);
  });
});
