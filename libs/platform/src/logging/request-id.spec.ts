import { describe, expect, it } from '@jest/globals';
import { requestIdOf } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdOf', () => {
  it("keeps the caller's id when it is a sane token", () => {
    expect(requestIdOf('abc-123')).toBe('abc-123');
    expect(requestIdOf(['trace:1/2', 'other'])).toBe('trace:1/2');
  });

  it('generates a UUID when there is none, or it is empty, too long or unsafe', () => {
    for (const bad of [undefined, '', 'x'.repeat(129), 'has space', 'new\nline', '<script>'])
      expect(requestIdOf(bad)).toMatch(UUID);
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });
});
