import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from './config.loader.js';

/** `tenants:` in baton.yaml (SPEC §12.1): what is per tenant, what is global, and what is refused. */

const ENV = {
  BATON_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  ACME_SECRET: 'a',
  GLOBEX_SECRET: 'g',
  HOOK_SECRET: 'h',
};

/** What these tests read of a loaded config: the tenants by name (the loader's typed shape may hold more). */
interface TenantView {
  trustedIssuers: { issuer: string }[];
  exchangeProfiles: Record<string, { issuer: string; clientSecret?: string }>;
  http: { allowedHosts: string[] };
  notifications?: { webhookUrl: string };
  maxConcurrentNodes?: number;
}
const tenantsOf = (config: unknown) => (config as { tenants: Record<string, TenantView> }).tenants;

const load = (yaml: Record<string, unknown>, env: Record<string, string> = ENV) =>
  loadConfig({ ...env, BATON_CONFIG: '/etc/baton.yaml' }, () => stringify(yaml));

const tenant = (issuer: string, secretEnv: string) => ({
  trustedIssuers: [{ issuer }],
  exchangeProfiles: {
    corp: { issuer, clientId: 'baton-worker', clientAuth: 'client_secret_basic', clientSecretEnv: secretEnv },
  },
  http: { allowedHosts: ['*.example.com'] },
});

const twoTenants = () => ({
  api: { audience: 'baton-api' },
  escalationTtlSeconds: 600,
  maxDelegationDepth: 2,
  tenants: {
    acme: tenant('https://acme.example.com', 'ACME_SECRET'),
    globex: tenant('https://globex.example.com', 'GLOBEX_SECRET'),
  },
});

/** Throws what `fn` throws (failing the test when it does not throw). */
const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a configuration error, nothing was thrown');
};

describe('tenants in baton.yaml (SPEC §12.1)', () => {
  it('loads each tenant with its own issuers, profiles (the same name twice) and allowed hosts', () => {
    const config = load(twoTenants());
    const tenants = tenantsOf(config);
    expect(Object.keys(tenants).sort()).toEqual(['acme', 'globex']);
    expect(tenants.acme!.trustedIssuers.map((t) => t.issuer)).toEqual(['https://acme.example.com']);
    expect(tenants.acme!.exchangeProfiles.corp!.issuer).toBe('https://acme.example.com');
    expect(tenants.acme!.exchangeProfiles.corp!.clientSecret).toBe('a');
    expect(tenants.globex!.exchangeProfiles.corp!.issuer).toBe('https://globex.example.com');
    expect(tenants.globex!.exchangeProfiles.corp!.clientSecret).toBe('g');
    expect(config.escalationTtlSeconds).toBe(600);
    expect(config.maxDelegationDepth).toBe(2);
  });

  it('without tenants, the top-level keys form the single tenant default', () => {
    const config = load({ api: { audience: 'baton-api' }, ...tenant('https://solo.example.com', 'ACME_SECRET') });
    const tenants = tenantsOf(config);
    expect(Object.keys(tenants)).toEqual(['default']);
    expect(tenants.default!.trustedIssuers.map((t) => t.issuer)).toEqual(['https://solo.example.com']);
    expect(Object.keys(tenants.default!.exchangeProfiles)).toEqual(['corp']);
  });

  const perTenantAtTopLevel: [string, unknown][] = [
    ['trustedIssuers', [{ issuer: 'https://top.example.com' }]],
    [
      'exchangeProfiles',
      { corp: { issuer: 'https://top.example.com', clientId: 'w', clientSecretEnv: 'ACME_SECRET' } },
    ],
    ['http', { allowedHosts: ['*.example.com'] }],
    ['notifications', { webhookUrl: 'https://hooks.example.com/baton', secretEnv: 'HOOK_SECRET' }],
    ['sharedSignals', { audience: 'https://baton/ssf', transmitters: [{ issuer: 'https://ssf.example.com' }] }],
    ['console', { issuer: 'https://acme.example.com', clientId: 'console' }],
    ['maxConcurrentNodes', 10],
  ];

  it.each(perTenantAtTopLevel)('with tenants, %s at the top level is a configuration error naming it', (key, value) => {
    const error = thrown(() => load({ ...twoTenants(), [key]: value }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(key);
    expect(error.message).toContain('/etc/baton.yaml');
  });

  it('one issuer in two tenants is a configuration error naming the issuer', () => {
    const yaml = twoTenants();
    yaml.tenants.globex.trustedIssuers = [{ issuer: 'https://acme.example.com' }];
    const error = thrown(() => load(yaml));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('https://acme.example.com');
  });

  it('one Shared Signals transmitter in two tenants is a configuration error naming it (SPEC §10.1)', () => {
    const yaml = twoTenants();
    const signals = { audience: 'https://baton/ssf', transmitters: [{ issuer: 'https://ssf.example.com' }] };
    Object.assign(yaml.tenants.acme, { sharedSignals: signals });
    Object.assign(yaml.tenants.globex, { sharedSignals: signals });
    const error = thrown(() => load(yaml));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('https://ssf.example.com');
  });

  it('a global key inside a tenant is refused, naming its path', () => {
    const yaml = twoTenants();
    (yaml.tenants.acme as Record<string, unknown>).escalationTtlSeconds = 60;
    const error = thrown(() => load(yaml));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('tenants.acme.escalationTtlSeconds');
  });

  it("a tenant's missing secret variable is named with the tenant's path", () => {
    const error = thrown(() =>
      load(twoTenants(), { BATON_ENCRYPTION_KEY: ENV.BATON_ENCRYPTION_KEY, ACME_SECRET: 'a' }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('tenants.globex.exchangeProfiles.corp.clientSecretEnv');
    expect(error.message).toContain('GLOBEX_SECRET');
  });
});

describe('examples/tenants.yaml', () => {
  it('loads through the real loader: two tenants, a profile named corp in each, one with maxConcurrentNodes', () => {
    const config = loadConfig({
      BATON_ENCRYPTION_KEY: ENV.BATON_ENCRYPTION_KEY,
      BATON_CONFIG: join(process.cwd(), 'examples', 'tenants.yaml'),
      ACME_CLIENT_SECRET: 's',
      ACME_LEDGER_CLIENT_SECRET: 's',
      ACME_WEBHOOK_SECRET: 's',
      GLOBEX_CLIENT_SECRET: 's',
    });
    const { acme, globex, ...others } = tenantsOf(config);
    expect(Object.keys(others)).toEqual([]);
    expect(acme!.exchangeProfiles.corp!.issuer).not.toBe(globex!.exchangeProfiles.corp!.issuer);
    expect(Object.keys(acme!.exchangeProfiles).sort()).toEqual(['corp', 'ledger']);
    expect(Object.keys(globex!.exchangeProfiles)).toEqual(['corp']);
    expect(acme!.notifications?.webhookUrl).toBe('https://hooks.acme.example.com/baton');
    expect(globex!.notifications).toBeUndefined();
    expect(acme!.maxConcurrentNodes).toBe(50);
    expect(config.maxDelegationDepth).toBe(3);
  });
});
