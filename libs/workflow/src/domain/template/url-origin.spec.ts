import { describe, expect, it } from '@jest/globals';
import { splitUrlOrigin } from './url-origin.js';

describe('splitUrlOrigin', () => {
  it('splits scheme and authority from the rest', () => {
    expect(splitUrlOrigin('HTTPS://user@Host:8443/a/{{input.b}}?c#d')).toEqual({
      scheme: 'https',
      authority: 'user@Host:8443',
      origin: 'HTTPS://user@Host:8443',
      rest: '/a/{{input.b}}?c#d',
    });
  });

  it.each([
    ['http://h?q=1', 'h', '?q=1'],
    ['http://h#f', 'h', '#f'],
    ['http://h\\p', 'h', '\\p'],
    ['http://h', 'h', ''],
    ['http://{{input.h}}/p', '{{input.h}}', '/p'],
  ])('ends the authority of %s where a URL parser does', (url, authority, rest) => {
    expect(splitUrlOrigin(url)).toMatchObject({ authority, rest });
  });

  it.each([['/relative'], ['mailto:x@y'], ['h/p'], [''], ['1http://h/']])('is null for %j', (url) => {
    expect(splitUrlOrigin(url)).toBeNull();
  });
});
