import { describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { defaultSsfMetadataUrl, loadConfig } from './config.loader.js';

const ENV = { BATON_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), PUSH: 'push-secret' };
const load = (sharedSignals: unknown) =>
  loadConfig(ENV, () => stringify({ sharedSignals })).tenants.default!.sharedSignals;

describe('sharedSignals (SPEC §10.1)', () => {
  it('the SSF 1.0 metadata URL puts the well-known path between host and path', () => {
    expect(defaultSsfMetadataUrl('https://idp.example.com')).toBe(
      'https://idp.example.com/.well-known/ssf-configuration',
    );
    expect(defaultSsfMetadataUrl('https://idp.example.com/')).toBe(
      'https://idp.example.com/.well-known/ssf-configuration',
    );
    expect(defaultSsfMetadataUrl('https://idp.example.com/tenant/a')).toBe(
      'https://idp.example.com/.well-known/ssf-configuration/tenant/a',
    );
  });

  it('applies the defaults and reads the bearer from the named variable', () => {
    expect(
      load({
        audience: 'https://baton/ssf',
        transmitters: [{ issuer: 'https://idp.example.com', authorizationEnv: 'PUSH' }],
      }),
    ).toEqual({
      audience: 'https://baton/ssf',
      transmitters: [
        {
          issuer: 'https://idp.example.com',
          metadataUrl: 'https://idp.example.com/.well-known/ssf-configuration',
          audiences: ['https://baton/ssf'],
          requireTyp: true,
          subjectIssuer: 'https://idp.example.com',
          delivery: 'push',
          authorization: 'push-secret',
          pollIntervalSeconds: 5,
          manageStream: false,
          tenant: 'default',
        },
      ],
    });
  });

  it('an audience override replaces the default, as a string or a list', () => {
    const [one, two] = load({
      audience: 'a',
      transmitters: [
        { issuer: 'https://one.example.com', audience: 'client-1' },
        { issuer: 'https://two.example.com', audience: ['x', 'y'] },
      ],
    })!.transmitters;
    expect(one!.audiences).toEqual(['client-1']);
    expect(two!.audiences).toEqual(['x', 'y']);
  });

  it.each<[string, unknown, RegExp]>([
    ['poll without pollEndpoint', { delivery: 'poll' }, /transmitters\.0\.pollEndpoint: is required for delivery poll/],
    [
      'push with a pollEndpoint',
      { pollEndpoint: 'https://idp.example.com/poll' },
      /pollEndpoint: is only for delivery poll/,
    ],
    [
      'manageStream without a bearer to manage it with',
      { manageStream: true, delivery: 'poll', pollEndpoint: 'https://idp.example.com/poll' },
      /transmitters\.0\.authorizationEnv: is required with manageStream: true/,
    ],
    [
      'a bearer variable that is not set',
      { authorizationEnv: 'NOPE' },
      /authorizationEnv: environment variable NOPE is not set/,
    ],
    ['an unknown key', { colour: 'red' }, /colour: unknown key/],
  ])('refuses %s, naming the key', (_, extra, message) => {
    expect(() =>
      load({ audience: 'a', transmitters: [{ issuer: 'https://idp.example.com', ...(extra as object) }] }),
    ).toThrow(message);
  });

  describe('manageStream and sharedSignals.endpointUrl', () => {
    const managed = (delivery: 'push' | 'poll', endpointUrl?: string) =>
      load({
        audience: 'a',
        ...(endpointUrl !== undefined && { endpointUrl }),
        transmitters: [
          { issuer: 'https://other.example.com' },
          {
            issuer: 'https://idp.example.com',
            manageStream: true,
            authorizationEnv: 'PUSH',
            delivery,
            ...(delivery === 'poll' && { pollEndpoint: 'https://idp.example.com/poll' }),
          },
        ],
      });

    it('a managed push stream needs Baton’s push URL, naming the key and the transmitter', () => {
      expect(() => managed('push')).toThrow(
        /sharedSignals\.endpointUrl: is required: transmitters\.1 has manageStream: true with delivery push/,
      );
    });

    it('a managed poll stream does not (the transmitter answers the poll URL)', () => {
      expect(managed('poll')!.transmitters[1]!.manageStream).toBe(true);
    });

    it.each(['https://baton.example.com/v1/ssf/events', 'http://127.0.0.1:3000/v1/ssf/events', 'http://localhost/x'])(
      'keeps the endpoint URL %s',
      (endpointUrl) => {
        const config = managed('push', endpointUrl)!;
        expect(config.endpointUrl).toBe(endpointUrl);
        expect(config.transmitters[1]!.manageStream).toBe(true);
      },
    );

    it.each(['http://baton.example.com/v1/ssf/events', 'http://127.0.0.1.example.com/x', 'ftp://baton/x', 'events'])(
      'refuses the endpoint URL %s',
      (endpointUrl) => {
        expect(() => managed('push', endpointUrl)).toThrow(/sharedSignals\.endpointUrl: /);
      },
    );
  });

  it('refuses the same issuer twice', () => {
    expect(() =>
      load({ audience: 'a', transmitters: [{ issuer: 'https://i.example.com' }, { issuer: 'https://i.example.com' }] }),
    ).toThrow(/transmitters\.1\.issuer: is configured twice/);
  });
});
