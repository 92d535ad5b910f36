import { describe, expect, it } from '@jest/globals';
import { matchesAllowedHost } from './allowed-host.js';

describe('matchesAllowedHost', () => {
  const patterns = ['127.0.0.1', 'localhost', '*.example.com', 'api.partner.io'];

  it.each([
    '127.0.0.1',
    'localhost',
    'LOCALHOST',
    'api.example.com',
    'API.Example.COM',
    'a.b.c.example.com',
    'api.partner.io',
    'api.partner.io.',
    'x.example.com.',
  ])('allows %s', (host) => {
    expect(matchesAllowedHost(host, patterns)).toBe(true);
  });

  it.each([
    ['example.com', 'the wildcard covers subdomains only'],
    ['evil-example.com', 'a suffix without the dot is another domain'],
    ['example.com.evil.net', 'the allowed name as a prefix'],
    ['api.example.com.evil.net', 'a subdomain as a prefix'],
    ['notexample.com', 'no dot before the suffix'],
    ['partner.io', 'an exact pattern does not cover its parent'],
    ['x.api.partner.io', 'an exact pattern does not cover its subdomains'],
    ['127.0.0.2', 'another address'],
    ['127.0.0.1.nip.io', 'an address as a prefix'],
    ['', 'an empty host'],
    ['localhost:3000', 'a port is not part of a hostname'],
  ])('refuses %s (%s)', (host) => {
    expect(matchesAllowedHost(host, patterns)).toBe(false);
  });

  it('matches wildcard patterns case-insensitively and ignores a trailing dot in patterns', () => {
    expect(matchesAllowedHost('a.example.com', ['*.EXAMPLE.com.'])).toBe(true);
    expect(matchesAllowedHost('example.com', ['EXAMPLE.COM'])).toBe(true);
  });

  it('compares IPv6 literals with or without brackets', () => {
    expect(matchesAllowedHost('[::1]', ['::1'])).toBe(true);
    expect(matchesAllowedHost('::1', ['[::1]'])).toBe(true);
    expect(matchesAllowedHost('[::2]', ['::1'])).toBe(false);
  });

  it('never matches with no patterns, a bare "*", or an empty pattern', () => {
    expect(matchesAllowedHost('api.example.com', [])).toBe(false);
    expect(matchesAllowedHost('api.example.com', ['*'])).toBe(false);
    expect(matchesAllowedHost('api.example.com', [''])).toBe(false);
    expect(matchesAllowedHost('.example.com', ['*.example.com'])).toBe(false);
  });

  it('treats a wildcard anywhere but the first label as a literal', () => {
    expect(matchesAllowedHost('api.example.com', ['api.*.com'])).toBe(false);
    expect(matchesAllowedHost('api.example.com', ['*example.com'])).toBe(false);
  });
});
