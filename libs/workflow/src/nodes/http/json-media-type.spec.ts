import { describe, expect, it } from '@jest/globals';
import { isJsonMediaType } from './json-media-type.js';

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/problem+json', true],
    ['application/vnd.api+json;charset=utf-8', true],
    ['text/json-ish', false],
    ['application/jsonp', false],
    ['text/plain', false],
    ['application/json-patch', false],
    ['', false],
    [null, false],
  ])('%p → %p', (contentType, json) => {
    expect(isJsonMediaType(contentType)).toBe(json);
  });
});
