import { describe, expect, it } from '@jest/globals';
import {
  effectivePort,
  isListedLiterally,
  matchesAllowedHost,
  parseAllowedHost,
  parseAllowedHosts,
} from './allowed-host.js';

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

  it('item 2: entries with a port allow only that port; entries without one allow every port', () => {
    const entries = ['localhost:5000', '*.example.com:8443', '[::1]:8080', 'api.partner.io'];
    expect(matchesAllowedHost('localhost', entries, 5000)).toBe(true);
    expect(matchesAllowedHost('localhost', entries, 5001)).toBe(false);
    expect(matchesAllowedHost('localhost', entries)).toBe(false);
    expect(matchesAllowedHost('a.example.com', entries, 8443)).toBe(true);
    expect(matchesAllowedHost('a.example.com', entries, 443)).toBe(false);
    expect(matchesAllowedHost('[::1]', entries, 8080)).toBe(true);
    expect(matchesAllowedHost('::1', entries, 80)).toBe(false);
    expect(matchesAllowedHost('api.partner.io', entries, 1)).toBe(true);
    expect(matchesAllowedHost('api.partner.io', entries, 65535)).toBe(true);
  });
});

describe('parseAllowedHost', () => {
  it.each([
    ['localhost', { host: 'localhost', port: null, wildcard: false }],
    ['LocalHost:5000', { host: 'localhost', port: 5000, wildcard: false }],
    ['*.Example.com', { host: 'example.com', port: null, wildcard: true }],
    ['*.example.com:8443', { host: 'example.com', port: 8443, wildcard: true }],
    ['example.com.', { host: 'example.com', port: null, wildcard: false }],
    ['::1', { host: '::1', port: null, wildcard: false }],
    ['[::1]', { host: '::1', port: null, wildcard: false }],
    ['[fe80::1]:80', { host: 'fe80::1', port: 80, wildcard: false }],
    ['10.0.0.1:5432', { host: '10.0.0.1', port: 5432, wildcard: false }],
  ])('parses %s', (text, entry) => {
    expect(parseAllowedHost(text)).toEqual(entry);
  });

  it.each([
    '',
    ' ',
    '*',
    '*.',
    'host:',
    'host:0',
    'host:65536',
    'host:abc',
    'a.*.com',
    '*example.com',
    'http://host',
    'user@host',
    'host/path',
    '[::1]:x',
  ])('refuses %j', (text) => {
    expect(parseAllowedHost(text)).toBeNull();
  });

  it('drops what does not parse from a list', () => {
    expect(parseAllowedHosts(['a', '', 'b:1'])).toEqual([
      { host: 'a', port: null, wildcard: false },
      { host: 'b', port: 1, wildcard: false },
    ]);
  });
});

describe('isListedLiterally', () => {
  const entries = parseAllowedHosts(['localhost:5000', '*.internal', '10.0.0.7']);
  it('counts exact entries only, with their port', () => {
    expect(isListedLiterally('localhost', entries, 5000)).toBe(true);
    expect(isListedLiterally('localhost', entries, 5001)).toBe(false);
    expect(isListedLiterally('db.internal', entries, 80)).toBe(false);
    expect(isListedLiterally('10.0.0.7', entries, 9999)).toBe(true);
  });
});

describe('effectivePort', () => {
  it('takes the URL port, else the scheme default', () => {
    expect(effectivePort(new URL('http://a/'))).toBe(80);
    expect(effectivePort(new URL('https://a/'))).toBe(443);
    expect(effectivePort(new URL('http://a:5000/'))).toBe(5000);
    expect(effectivePort(new URL('https://a:443/'))).toBe(443);
  });
});
