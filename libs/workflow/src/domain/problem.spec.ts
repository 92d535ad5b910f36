import { describe, expect, it } from '@jest/globals';
import { appendPath, jsonPath } from './problem.js';

describe('jsonPath', () => {
  it('starts at $ and uses .key and [index]', () => {
    expect(jsonPath([])).toBe('$');
    expect(jsonPath(['nodes', 1, 'request', 'url'])).toBe('$.nodes[1].request.url');
    expect(jsonPath(['nodes', 0, 'dependsOn', 2])).toBe('$.nodes[0].dependsOn[2]');
  });

  it('keeps ordinary keys, including hyphens and underscores, after a dot', () => {
    expect(jsonPath(['headers', 'content-type', 'x_y', '$ref'])).toBe('$.headers.content-type.x_y.$ref');
  });

  it('quotes keys that would be ambiguous after a dot', () => {
    expect(jsonPath(['a.b'])).toBe('$["a.b"]');
    expect(jsonPath(['with space'])).toBe('$["with space"]');
    expect(jsonPath([''])).toBe('$[""]');
    expect(jsonPath(['0'])).toBe('$["0"]');
    expect(jsonPath(['-x'])).toBe('$["-x"]');
    expect(jsonPath(['say "hi"'])).toBe('$["say \\"hi\\""]');
  });

  it('takes another root', () => {
    expect(jsonPath(['a', 0], '$.input')).toBe('$.input.a[0]');
    expect(appendPath('$.nodes[2]', 'request')).toBe('$.nodes[2].request');
  });
});
