import { describe, expect, it } from '@jest/globals';
import { isAudienceBoundTo } from './audience-binding.js';

describe('isAudienceBoundTo (item 2: a token goes only where its audience lives)', () => {
  const origins = {
    'https://expenses.example.com': ['https://expenses.example.com', 'http://127.0.0.1:5000'],
    crm: ['https://*.crm.example.com'],
    '*': ['http://127.0.0.1'],
  };

  it.each([
    ['https://expenses.example.com', 'https://expenses.example.com/reports/1'],
    ['https://expenses.example.com', 'https://EXPENSES.example.com:443/x'],
    ['https://expenses.example.com', 'http://127.0.0.1:5000/reports'],
    ['crm', 'https://eu.crm.example.com/leads'],
    ['crm', 'https://a.b.crm.example.com:8443/leads'],
    ['other', 'http://127.0.0.1:9999/any'],
    ['other', 'http://127.0.0.1/any'],
  ])('binds %s to %s', (audience, url) => {
    expect(isAudienceBoundTo(audience, url, origins)).toBe(true);
  });

  it.each([
    ['https://expenses.example.com', 'http://expenses.example.com/', 'another scheme'],
    ['https://expenses.example.com', 'http://127.0.0.1:5001/', 'another port'],
    ['https://expenses.example.com', 'https://evil.example.com/', 'another host'],
    ['crm', 'https://crm.example.com/', 'the glob covers subdomains only'],
    ['crm', 'http://127.0.0.1/', 'a listed audience does not fall back to *'],
    ['other', 'https://127.0.0.1/', '* binds http only'],
    ['other', 'http://localhost/', 'names are not addresses'],
    ['other', 'not a url', 'no URL'],
    ['other', 'ftp://127.0.0.1/', 'not http'],
  ])('does not bind %s to %s (%s)', (audience, url) => {
    expect(isAudienceBoundTo(audience, url, origins)).toBe(false);
  });

  it('without audienceOrigins, binds a URL audience to its own origin and anything else to nothing', () => {
    expect(isAudienceBoundTo('https://expenses.example.com', 'https://expenses.example.com/a', undefined)).toBe(true);
    expect(
      isAudienceBoundTo('https://expenses.example.com:8443', 'https://expenses.example.com:8443/a', undefined),
    ).toBe(true);
    expect(isAudienceBoundTo('https://expenses.example.com:8443', 'https://expenses.example.com/a', undefined)).toBe(
      false,
    );
    expect(isAudienceBoundTo('https://expenses.example.com', 'http://127.0.0.1:5000/a', undefined)).toBe(false);
    expect(isAudienceBoundTo('crm', 'https://crm.example.com/', undefined)).toBe(false);
    expect(isAudienceBoundTo('urn:x', 'https://x/', undefined)).toBe(false);
  });

  it('an empty map binds nothing', () => {
    expect(isAudienceBoundTo('https://a.example.com', 'https://a.example.com/', {})).toBe(false);
  });
});
