import { describe, expect, it } from '@jest/globals';
import { exportPKCS8, generateKeyPair } from 'jose';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { actorPublicJwks } from '../libs/oauth/src/index.js';
import { loadConfig } from '../libs/platform/src/index.js';
import { selfSignedCertificate } from './support/vendors/certificate.js';

/** Every `examples/idp/<vendor>.yaml` loads through the real configuration loader (README "Use your identity provider"). */

const DIR = join(process.cwd(), 'examples', 'idp');
const KEY = Buffer.alloc(32, 1).toString('base64');

describe('examples/idp', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

  it('has one example per vendor', () => {
    expect(files.sort()).toEqual([
      'auth0.yaml',
      'entra.yaml',
      'generic.yaml',
      'google.yaml',
      'keycloak.yaml',
      'okta.yaml',
    ]);
  });

  it.each(files)('%s loads, names its vendor, and its actor keys (if any) publish', async (file) => {
    const cert = selfSignedCertificate();
    const agentKey = await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey);
    const env: Record<string, string> = {
      BATON_ENCRYPTION_KEY: KEY,
      BATON_CONFIG: join(DIR, file),
      KEYCLOAK_CLIENT_SECRET: 's',
      OKTA_CLIENT_SECRET: 's',
      OKTA_INTROSPECTION_SECRET: 's',
      AUTH0_CLIENT_SECRET: 's',
      ENTRA_CLIENT_SECRET: 's',
      ENTRA_PRIVATE_KEY: cert.privateKey,
      ENTRA_CERTIFICATE: cert.certificate,
      CORP_CLIENT_SECRET: 's',
      BATON_AGENT_KEY: agentKey,
      BATON_AGENT_KEY_2025: await exportPKCS8((await generateKeyPair('EdDSA', { extractable: true })).privateKey),
    };
    const config = loadConfig(env);
    const vendor = file.replace('.yaml', '');
    const profiles = Object.values(config.tenants.default!.exchangeProfiles);
    expect(profiles.length).toBeGreaterThan(0);
    for (const profile of profiles) expect(profile.vendor).toBe(vendor);
    const jwks = await actorPublicJwks(config.tenants.default!.exchangeProfiles);
    const actors = profiles.filter((p) => p.actor);
    expect(jwks.keys.length).toBe(actors.reduce((n, p) => n + 1 + p.actor!.retiredKeys.length, 0));
  });
});
