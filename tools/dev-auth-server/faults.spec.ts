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
    expect(faults.state()).toEqual({ tokenEndpoint: null, widenScope: null });
  });

  it('keeps unrelated faults on a partial update and clears all on clear()', () => {
    const faults = new Faults();
    faults.update({ widenScope: 'x' });
    faults.update({ tokenEndpoint: { status: 503, times: 1 } });
    expect(faults.state()).toEqual({ tokenEndpoint: { status: 503, times: 1 }, widenScope: 'x' });
    faults.clear();
    expect(faults.widenScope).toBeNull();
    expect(faults.takeTokenEndpointFault()).toBeUndefined();
  });
});
