import { describe, expect, it } from '@jest/globals';
import { parseHttpUrlHost } from './http-url-host.js';

describe('parseHttpUrlHost', () => {
  it.each([
    ['http://127.0.0.1:5000/reports/{{input.id}}', '127.0.0.1'],
    ['https://API.Example.com/x?y={{input.y}}', 'api.example.com'],
    ['HTTP://localhost', 'localhost'],
    ['http://[::1]:8080/', '[::1]'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://example.com\\{{input.path}}', 'example.com'],
    ['https://example.com#{{input.f}}', 'example.com'],
  ])('reads the host of %s', (url, hostname) => {
    expect(parseHttpUrlHost(url)).toMatchObject({ ok: true, hostname });
  });

  it.each([
    ['mailto:a@b.c', 'must be an absolute http or https URL'],
    ['//example.com/x', 'must be an absolute http or https URL'],
    ['ws://example.com/', 'must use http or https, not ws'],
    ['http://{{input.h}}/', 'host must be literal: templates may appear only in the path, query and fragment'],
    ['http://x}}/', 'host must be literal: templates may appear only in the path, query and fragment'],
    ['http://a@example.com/', 'must not carry credentials before the host'],
    ['http://exa mple.com/', 'has an invalid host "exa mple.com"'],
    ['http:///x', 'has no host'],
  ])('refuses %s', (url, message) => {
    expect(parseHttpUrlHost(url)).toEqual({ ok: false, message });
  });
});
