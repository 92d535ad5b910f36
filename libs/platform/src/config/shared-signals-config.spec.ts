import { describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { defaultSsfMetadataUrl, loadConfig } from './config.loader.js';

const ENV = { BATON_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), PUSH: 'push-secret' };
const load = (sharedSignals: unknown) => loadConfig(ENV, () => stringify({ sharedSignals })).sharedSignals;

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
    ['manageStream (not built)', { manageStream: true }, /manageStream: true is not supported yet/],
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

  it('refuses the same issuer twice', () => {
    expect(() =>
      load({ audience: 'a', transmitters: [{ issuer: 'https://i.example.com' }, { issuer: 'https://i.example.com' }] }),
    ).toThrow(/transmitters\.1\.issuer: is configured twice/);
  });
});
