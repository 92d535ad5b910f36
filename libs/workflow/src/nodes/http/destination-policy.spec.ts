import { describe, expect, it } from '@jest/globals';
import { parseAllowedHosts } from '../../domain/definition/allowed-host.js';
import { AddressClass, classifyAddress, decideAddress, decideDestination } from './destination-policy.js';

describe('classifyAddress (item 3)', () => {
  it.each([
    ['127.0.0.1', AddressClass.Loopback],
    ['127.255.255.254', AddressClass.Loopback],
    ['::1', AddressClass.Loopback],
    ['[::1]', AddressClass.Loopback],
    ['0.0.0.0', AddressClass.Unspecified],
    ['0.1.2.3', AddressClass.Unspecified],
    ['::', AddressClass.Unspecified],
    ['169.254.169.254', AddressClass.LinkLocal],
    ['169.254.0.1', AddressClass.LinkLocal],
    ['fe80::1', AddressClass.LinkLocal],
    ['fe80::1%eth0', AddressClass.LinkLocal],
    ['febf::1', AddressClass.LinkLocal],
    ['10.0.0.1', AddressClass.Private],
    ['10.255.255.255', AddressClass.Private],
    ['172.16.0.1', AddressClass.Private],
    ['172.31.255.255', AddressClass.Private],
    ['192.168.1.1', AddressClass.Private],
    ['100.64.0.1', AddressClass.Private],
    ['198.18.0.1', AddressClass.Private],
    ['fc00::1', AddressClass.Private],
    ['fd12:3456::1', AddressClass.Private],
    ['fec0::1', AddressClass.Private],
    ['::ffff:127.0.0.1', AddressClass.Loopback],
    ['::ffff:7f00:1', AddressClass.Loopback],
    ['::ffff:169.254.169.254', AddressClass.LinkLocal],
    ['::ffff:10.0.0.1', AddressClass.Private],
    ['::127.0.0.1', AddressClass.Loopback],
    ['64:ff9b::a9fe:a9fe', AddressClass.LinkLocal],
    ['2002:7f00:1::', AddressClass.Loopback],
    ['224.0.0.1', AddressClass.Multicast],
    ['ff02::1', AddressClass.Multicast],
    ['255.255.255.255', AddressClass.Reserved],
    ['240.0.0.1', AddressClass.Reserved],
    ['192.0.2.1', AddressClass.Reserved],
    ['2001:db8::1', AddressClass.Reserved],
    ['not-an-ip', AddressClass.Reserved],
    ['8.8.8.8', AddressClass.Public],
    ['1.1.1.1', AddressClass.Public],
    ['172.15.255.255', AddressClass.Public],
    ['172.32.0.0', AddressClass.Public],
    ['169.253.255.255', AddressClass.Public],
    ['100.63.255.255', AddressClass.Public],
    ['128.0.0.1', AddressClass.Public],
    ['2606:4700::1111', AddressClass.Public],
    ['::ffff:8.8.8.8', AddressClass.Public],
    ['fe7f::1', AddressClass.Public],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('decideDestination (items 2, 3, 4)', () => {
  const entries = parseAllowedHosts(['localhost:5000', '127.0.0.1', '*.example.com', 'db.internal', '10.0.0.9:8080']);

  it('refuses a host not in the list, port-aware', () => {
    expect(decideDestination({ hostname: 'evil.net', port: 80, address: '8.8.8.8' }, entries)).toMatchObject({
      allowed: false,
      code: 'destination_not_allowed',
    });
    expect(decideDestination({ hostname: 'localhost', port: 5001 }, entries)).toMatchObject({
      allowed: false,
      code: 'destination_not_allowed',
      reason: 'localhost:5001 is not in http.allowedHosts',
    });
    expect(decideDestination({ hostname: '10.0.0.9', port: 80 }, entries)).toMatchObject({
      allowed: false,
      code: 'destination_not_allowed',
    });
  });

  it('allows a public address behind a glob', () => {
    expect(decideDestination({ hostname: 'api.example.com', port: 443, address: '93.184.216.34' }, entries)).toEqual({
      allowed: true,
    });
  });

  it('refuses a glob-matched name that resolves to a private address (DNS rebinding)', () => {
    for (const address of [
      '127.0.0.2',
      '169.254.169.254',
      '10.1.2.3',
      '::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      'fe80::1',
    ]) {
      expect(decideDestination({ hostname: 'rebind.example.com', port: 443, address }, entries)).toMatchObject({
        allowed: false,
        code: 'private_address',
      });
    }
  });

  it('allows private addresses for hosts or addresses listed literally (with their port)', () => {
    expect(decideDestination({ hostname: 'localhost', port: 5000, address: '127.0.0.1' }, entries)).toEqual({
      allowed: true,
    });
    expect(decideDestination({ hostname: 'localhost', port: 5000, address: '::1' }, entries)).toEqual({
      allowed: true,
    });
    expect(decideDestination({ hostname: '127.0.0.1', port: 1234 }, entries)).toEqual({ allowed: true });
    expect(decideDestination({ hostname: 'db.internal', port: 5432, address: '10.0.0.5' }, entries)).toEqual({
      allowed: true,
    });
    expect(decideDestination({ hostname: '10.0.0.9', port: 8080 }, entries)).toEqual({ allowed: true });
  });

  it('says which address and why', () => {
    const decision = decideAddress({ hostname: 'a.example.com', port: 443, address: '169.254.169.254' }, entries);
    expect(decision).toEqual({
      allowed: false,
      code: 'private_address',
      reason:
        '169.254.169.254:443 is a link-local address (a.example.com resolves to it); list the host literally in http.allowedHosts to allow it',
    });
  });

  it('with no entries (webhooks without allowPrivate) refuses every non-public address and allows public ones', () => {
    expect(decideAddress({ hostname: 'hooks.example.com', port: 443, address: '10.0.0.1' }, [])).toMatchObject({
      allowed: false,
    });
    expect(decideAddress({ hostname: '127.0.0.1', port: 443 }, [])).toMatchObject({ allowed: false });
    expect(decideAddress({ hostname: 'hooks.example.com', port: 443, address: '8.8.4.4' }, [])).toEqual({
      allowed: true,
    });
    expect(decideAddress({ hostname: 'hooks.example.com', port: 443 }, [])).toEqual({ allowed: true });
  });
});
