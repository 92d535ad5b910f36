import { describe, expect, it } from '@jest/globals';
import { Faults } from './faults.js';

describe('Faults', () => {
  it('fails the token endpoint exactly `times` times', () => {
    const faults = new Faults();
    faults.update({ tokenEndpoint: { status: 429, times: 2, retryAfter: 3 } });
    expect(faults.takeTokenEndpointFault()).toEqual({
      status: 429,
      headers: { 'retry-after': '3' },
      body: { error: 'invalid_request', error_description: 'injected fault (HTTP 429)' },
    });
    expect(faults.takeTokenEndpointFault()?.status).toBe(429);
    expect(faults.takeTokenEndpointFault()).toBeUndefined();
    expect(faults.state()).toEqual({ tokenEndpoint: null, widenScope: null, dropScope: null, slowTokenEndpoint: null });
  });

  it('keeps unrelated faults on a partial update and clears all on clear()', () => {
    const faults = new Faults();
    faults.update({ widenScope: 'x' });
    faults.update({ tokenEndpoint: { status: 503, times: 1 } });
    expect(faults.state()).toEqual({
      tokenEndpoint: { status: 503, times: 1 },
      widenScope: 'x',
      dropScope: null,
      slowTokenEndpoint: null,
    });
    faults.update({ dropScope: 'y' });
    expect(faults.dropScope).toBe('y');
    faults.clear();
    expect(faults.widenScope).toBeNull();
    expect(faults.dropScope).toBeNull();
    expect(faults.takeTokenEndpointFault()).toBeUndefined();
  });

  it('delays the token endpoint exactly `times` times, then not at all', () => {
    const faults = new Faults();
    expect(faults.takeTokenEndpointDelay()).toBe(0);
    faults.update({ slowTokenEndpoint: { delayMs: 250, times: 2 } });
    expect(faults.takeTokenEndpointDelay()).toBe(250);
    expect(faults.state().slowTokenEndpoint).toEqual({ delayMs: 250, times: 1 });
    expect(faults.takeTokenEndpointDelay()).toBe(250);
    expect(faults.takeTokenEndpointDelay()).toBe(0);
    expect(faults.state().slowTokenEndpoint).toBeNull();
    faults.update({ slowTokenEndpoint: { delayMs: 10, times: 5 } });
    faults.clear();
    expect(faults.takeTokenEndpointDelay()).toBe(0);
  });
});
