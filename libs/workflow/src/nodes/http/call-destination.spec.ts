import { describe, expect, it } from '@jest/globals';
import { parseAllowedHosts } from '../../domain/definition/allowed-host.js';
import { refuseCallDestination } from './call-destination.js';

describe('refuseCallDestination (items 2 and 4: checked again at call time)', () => {
  const policy = {
    entries: parseAllowedHosts(['127.0.0.1:5000', '*.example.com']),
    audienceOrigins: { 'https://x.example.com': ['https://x.example.com'], '*': ['http://127.0.0.1:5000'] },
  };

  it('passes a listed, bound destination', () => {
    expect(refuseCallDestination('http://127.0.0.1:5000/a', 'urn:any', policy)).toBeNull();
    expect(refuseCallDestination('https://x.example.com/a', 'https://x.example.com', policy)).toBeNull();
    expect(refuseCallDestination('https://y.example.com/a', undefined, policy)).toBeNull();
  });

  it('refuses a host or port no longer listed', () => {
    expect(refuseCallDestination('http://127.0.0.1:5001/a', undefined, policy)).toMatchObject({
      code: 'destination_not_allowed',
    });
    expect(refuseCallDestination('http://127.0.0.1:5000/a', undefined, { ...policy, entries: [] })).toMatchObject({
      code: 'destination_not_allowed',
    });
  });

  it('refuses an unbound audience', () => {
    expect(refuseCallDestination('https://y.example.com/a', 'https://x.example.com', policy)).toEqual({
      code: 'audience_not_bound',
      message: 'origin https://y.example.com is not bound to audience "https://x.example.com" in http.audienceOrigins',
    });
  });

  it('leaves an unparseable URL to the caller', () => {
    expect(refuseCallDestination('nope', undefined, policy)).toBeNull();
  });
});
