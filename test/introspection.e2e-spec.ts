import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from './support/api.js';
import { oktaBehaviour } from './support/vendors/okta.js';
import { basicCredentials, VendorServer } from './support/vendors/vendor-server.js';
import { VendorStack } from './support/vendors/vendor-stack.js';

/** SPEC §9.2: opaque inbound tokens through RFC 7662 introspection (Okta-shaped issuer, test/support/vendors/okta.ts). */

const SECRET = 'okta-service-app-secret-0123456789';
const INTROSPECT_SECRET = 'introspection-secret-0123456789';
let okta: VendorServer;
let stack: VendorStack;

beforeAll(async () => {
  okta = await VendorServer.start(oktaBehaviour({ audiences: ['api://expenses'], policyScopes: ['expenses:read'] }), [
    { clientId: 'baton-service', clientSecret: SECRET },
    { clientId: 'baton-api', clientSecret: INTROSPECT_SECRET },
  ]);
  stack = await VendorStack.start(okta, {
    profile: { vendor: 'okta', issuer: okta.issuer, clientId: 'baton-service', clientSecretEnv: 'OKTA_SECRET' },
    trustedIssuer: { introspection: { clientId: 'baton-api', clientSecretEnv: 'INTROSPECT_SECRET' } },
    env: { OKTA_SECRET: SECRET, INTROSPECT_SECRET },
  });
  stack.resource.on('GET', '/data', { status: 200, body: { ok: true } });
  await stack.register('opaque-read', { requiredScopes: ['expenses:read'], audience: 'api://expenses' });
});

afterAll(async () => {
  await stack?.close();
  await okta?.close();
});

const introspectionsOf = (token: string) => okta.introspectionRequests.filter((r) => r.form.token === token);
const whoAmI = (token: string) => call(`${stack.api.url}/v1/runs`, { token });

describe('opaque inbound tokens (SPEC §9.2)', () => {
  it('introspects with client_secret_basic at the endpoint from discovery; identity, scopes and expiry come from the answer', async () => {
    const token = okta.mintOpaqueUserToken('alice', ['expenses:read', 'calendar:read']);
    const { run } = await stack.run('opaque-read', token);
    expect(run.status).toBe('succeeded');
    expect(run).toMatchObject({ status: 'succeeded' });
    const { rows } = await stack.db.query(`SELECT user_iss, user_sub, user_scopes FROM runs WHERE id = $1`, [run.id]);
    expect(rows[0]).toEqual({
      user_iss: okta.issuer,
      user_sub: 'alice',
      user_scopes: ['expenses:read', 'calendar:read'],
    });
    const sent = introspectionsOf(token)[0]!;
    expect(basicCredentials(sent.headers.authorization)).toEqual({
      clientId: 'baton-api',
      clientSecret: INTROSPECT_SECRET,
    });
    expect(sent.form).toMatchObject({ token });
    // The opaque token went on as the subject token.
    expect(okta.tokenRequests.some((r) => r.form.subject_token === token)).toBe(true);
  });

  it('caches an active answer (one introspection for several calls)', async () => {
    const token = okta.mintOpaqueUserToken('bob', ['expenses:read']);
    for (let i = 0; i < 3; i++) expect((await whoAmI(token)).status).toBe(200);
    expect(introspectionsOf(token)).toHaveLength(1);
  });

  it('never serves a cached answer past the token exp', async () => {
    const token = okta.mintOpaqueUserToken('carl', ['expenses:read'], 2);
    expect((await whoAmI(token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2300));
    const after = await whoAmI(token);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(introspectionsOf(token)).toHaveLength(2);
  });

  it('active:false → 401 invalid_token; unknown tokens too', async () => {
    const token = okta.mintOpaqueUserToken('dana', ['expenses:read']);
    okta.revokedSubjects.add('dana');
    expect((await whoAmI(token)).status).toBe(401);
    expect((await whoAmI('opaque-never-issued')).status).toBe(401);
  });

  it("refuses an opaque token issued to Baton's own exchange client, or naming Baton's agent in act (SPEC §16)", async () => {
    const baked = okta.mintOpaqueUserToken('fred', ['expenses:read'], 3600, { client_id: 'baton-service' });
    const delegated = okta.mintOpaqueUserToken('fred', ['expenses:read'], 3600, { act: { sub: 'baton-service' } });
    const ordinary = okta.mintOpaqueUserToken('fred', ['expenses:read'], 3600, { client_id: 'user-app' });
    for (const token of [baked, delegated]) {
      const response = await whoAmI(token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
    expect((await whoAmI(ordinary)).status).toBe(200);
  });

  it('an unreachable introspection endpoint → 503', async () => {
    okta.introspectionDown = true;
    try {
      const response = await whoAmI(okta.mintOpaqueUserToken('eve', ['expenses:read']));
      expect(response.status).toBe(503);
    } finally {
      okta.introspectionDown = false;
    }
  });

  it('JWTs of the same issuer are still verified locally, not introspected', async () => {
    const before = okta.introspectionRequests.length;
    expect((await whoAmI(await okta.mintUserToken('finn', ['expenses:read']))).status).toBe(200);
    expect(okta.introspectionRequests.length).toBe(before);
  });
});
