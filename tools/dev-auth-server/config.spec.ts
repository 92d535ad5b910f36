import { describe, expect, it } from '@jest/globals';
import { optionsFromEnvironment } from './config.js';

describe('optionsFromEnvironment', () => {
  it('defaults to port 4000 on 127.0.0.1, no dev mode, the baton-worker client', () => {
    expect(optionsFromEnvironment({}, [])).toEqual({
      port: 4000,
      host: '127.0.0.1',
      devMode: false,
      clients: [
        {
          clientId: 'baton-worker',
          clientSecret: 'dev-secret-change-me',
          tokenEndpointAuthMethod: 'client_secret_basic',
        },
      ],
      exchangedTokenTtlSeconds: 300,
      consoleClient: {
        clientId: 'baton-console',
        redirectUris: ['http://127.0.0.1:3000/console/callback', 'http://localhost:3000/console/callback'],
      },
    });
  });

  it('reads the environment and --dev', () => {
    const options = optionsFromEnvironment(
      {
        DEV_AS_PORT: '0',
        DEV_AS_HOST: '0.0.0.0',
        DEV_AS_ISSUER: 'http://dev-as:4000',
        DEV_AS_CLIENT_SECRET: 's3cret',
        DEV_AS_CLIENTS: JSON.stringify([
          { clientId: 'other', clientSecret: 'x', tokenEndpointAuthMethod: 'client_secret_post' },
        ]),
        DEV_AS_EXCHANGED_TOKEN_TTL_SECONDS: '60',
      },
      ['--dev'],
    );
    expect(options).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      issuer: 'http://dev-as:4000',
      devMode: true,
      exchangedTokenTtlSeconds: 60,
    });
    expect(options.clients?.map((c) => [c.clientId, c.clientSecret])).toEqual([
      ['baton-worker', 's3cret'],
      ['other', 'x'],
    ]);
    expect(optionsFromEnvironment({ DEV_AS_DEV_MODE: 'true' }, []).devMode).toBe(true);
    expect(optionsFromEnvironment({ DEV_AS_DEV_MODE: 'false' }, []).devMode).toBe(false);
  });

  it('lets DEV_AS_CLIENTS replace the default client by id', () => {
    const clients = optionsFromEnvironment(
      { DEV_AS_CLIENTS: '[{"clientId":"baton-worker","clientSecret":"mine"}]' },
      [],
    ).clients;
    expect(clients).toEqual([{ clientId: 'baton-worker', clientSecret: 'mine' }]);
  });

  it('names the variable when a value is wrong', () => {
    expect(() => optionsFromEnvironment({ DEV_AS_PORT: 'abc' }, [])).toThrow('DEV_AS_PORT');
    expect(() => optionsFromEnvironment({ DEV_AS_PORT: '70000' }, [])).toThrow('DEV_AS_PORT');
    expect(() => optionsFromEnvironment({ DEV_AS_DEV_MODE: 'maybe' }, [])).toThrow('DEV_AS_DEV_MODE');
    expect(() => optionsFromEnvironment({ DEV_AS_ISSUER: 'not a url' }, [])).toThrow('DEV_AS_ISSUER');
    expect(() => optionsFromEnvironment({ DEV_AS_CLIENTS: '{' }, [])).toThrow('DEV_AS_CLIENTS');
    expect(() => optionsFromEnvironment({ DEV_AS_CLIENTS: '{}' }, [])).toThrow('DEV_AS_CLIENTS');
    expect(() => optionsFromEnvironment({}, ['--verbose'])).toThrow('--verbose');
  });
});
