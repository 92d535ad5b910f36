import { describe, expect, it } from '@jest/globals';
import type { LookupAddress } from 'node:dns';
import { parseAllowedHosts } from '../../domain/definition/allowed-host.js';
import { DestinationRefusedError } from './destination-policy.js';
import { createGuardedLookup, destinationRefusalOf, type LookupFunction } from './guarded-lookup.js';

const resolver =
  (answers: Record<string, LookupAddress[]>): LookupFunction =>
  (hostname, _options, callback) =>
    answers[hostname]
      ? callback(null, answers[hostname]!)
      : callback(Object.assign(new Error('nx'), { code: 'ENOTFOUND' }), []);

function lookUp(lookup: LookupFunction, hostname: string, all: boolean) {
  return new Promise<{ error: unknown; address: unknown; family?: number }>((resolve) =>
    lookup(hostname, { all }, (error, address, family) => resolve({ error, address, family })),
  );
}

describe('createGuardedLookup (item 3: checked on the address actually connected to)', () => {
  const entries = parseAllowedHosts(['*.example.com', 'localhost']);
  const resolve = resolver({
    'public.example.com': [{ address: '93.184.216.34', family: 4 }],
    'rebind.example.com': [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ],
    'meta.example.com': [{ address: '169.254.169.254', family: 4 }],
    localhost: [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ],
  });

  it('passes public answers through in both callback forms', async () => {
    const lookup = createGuardedLookup(entries, 443, resolve);
    expect(await lookUp(lookup, 'public.example.com', false)).toEqual({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
    expect(await lookUp(lookup, 'public.example.com', true)).toEqual({
      error: null,
      address: [{ address: '93.184.216.34', family: 4 }],
      family: undefined,
    });
  });

  it('refuses the whole answer when any address is private', async () => {
    const lookup = createGuardedLookup(entries, 443, resolve);
    for (const host of ['rebind.example.com', 'meta.example.com']) {
      const { error } = await lookUp(lookup, host, true);
      expect(error).toBeInstanceOf(DestinationRefusedError);
      expect((error as DestinationRefusedError).code).toBe('private_address');
    }
  });

  it('lets a literally listed name reach loopback', async () => {
    const lookup = createGuardedLookup(entries, 3000, resolve);
    expect((await lookUp(lookup, 'localhost', true)).error).toBeNull();
  });

  it('passes resolver errors through', async () => {
    const { error } = await lookUp(createGuardedLookup(entries, 443, resolve), 'nx.example.com', false);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });

  it('finds a refusal in an error chain', () => {
    const refused = new DestinationRefusedError({ allowed: false, code: 'private_address', reason: 'r' });
    expect(destinationRefusalOf(new TypeError('fetch failed', { cause: refused }))).toBe(refused);
    expect(destinationRefusalOf(new TypeError('fetch failed', { cause: new Error('x') }))).toBeNull();
    const rewrapped = destinationRefusalOf(new TypeError('fetch failed', { cause: new Error(String(refused)) }));
    expect(rewrapped).toMatchObject({ code: 'private_address', message: 'r' });
  });
});
