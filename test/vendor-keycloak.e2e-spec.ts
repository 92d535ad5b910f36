import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { keycloakBehaviour } from './support/vendors/keycloak.js';
import { basicCredentials, VendorServer } from './support/vendors/vendor-server.js';
import { VendorStack } from './support/vendors/vendor-stack.js';

/** SPEC §9.1 `vendor: keycloak` against a Keycloak-shaped server (test/support/vendors/keycloak.ts). */

const SECRET = 'kc-worker-secret-0123456789';
let keycloak: VendorServer;
let stack: VendorStack;

beforeAll(async () => {
  keycloak = await VendorServer.start(keycloakBehaviour({ knownClients: ['expenses-api'] }), [
    { clientId: 'baton-worker', clientSecret: SECRET },
  ]);
  stack = await VendorStack.start(keycloak, {
    profile: { vendor: 'keycloak', issuer: keycloak.issuer, clientId: 'baton-worker', clientSecretEnv: 'KC_SECRET' },
    env: { KC_SECRET: SECRET },
  });
  stack.resource.on('GET', '/data', { status: 200, body: { ok: true } });
  await stack.register('kc-read', { requiredScopes: ['expenses:read'], audience: 'expenses-api' });
});

afterAll(async () => {
  await stack?.close();
  await keycloak?.close();
});

const userToken = (sub: string, aud = ['baton-api', 'baton-worker']) =>
  keycloak.mintUserToken(sub, ['expenses:read', 'profile'], { aud });

describe('vendor keycloak', () => {
  it('sends standard token exchange fields (no resource), reads scope from the JWT, and the token reaches the resource server', async () => {
    const token = await userToken('alice');
    const { run, audit } = await stack.run('kc-read', token);
    expect(run.status).toBe('succeeded');

    const sent = keycloak.lastRequestOf('alice')!;
    expect(sent.form).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'expenses-api',
      scope: 'expenses:read',
    });
    expect(basicCredentials(sent.headers.authorization)).toEqual({ clientId: 'baton-worker', clientSecret: SECRET });

    const issued = keycloak.issued.find((t) => decodeJwt(t).sub === 'alice')!;
    expect(stack.resource.seen('GET', '/data').some((r) => r.headers.authorization === `Bearer ${issued}`)).toBe(true);

    const exchanged = audit.find((e) => e.operation === 'token.exchanged')!;
    expect(exchanged).toMatchObject({ success: true, scopes: ['expenses:read'], target: 'expenses-api' });
    expect(exchanged.details).toMatchObject({ cached: false, profile: 'idp', jti: decodeJwt(issued).jti });
    expect(audit.map((e) => e.operation)).toEqual([
      'run.started',
      'node.started',
      'scope.narrowed',
      'token.exchanged',
      'token.used',
      'node.succeeded',
      'run.succeeded',
    ]);
  });

  it('answers 422 at post for a node with oauth.resource on a keycloak profile', async () => {
    const response = await stack.post('kc-resource', {
      requiredScopes: ['expenses:read'],
      audience: 'expenses-api',
      resource: 'https://expenses.example.com',
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      { path: '$.nodes[0].oauth.resource', message: expect.stringContaining('keycloak') },
    ]);
  });

  it('invalid_request "Invalid token" (a revoked subject token) → audit token.revoked, escalation token_revoked', async () => {
    keycloak.revokedSubjects.add('bob');
    const { run, audit, escalations } = await stack.run('kc-read', await userToken('bob'));
    expect(run.status).toBe('waiting_for_human');
    expect(escalations).toEqual([expect.objectContaining({ reason: 'token_revoked', status: 'open' })]);
    expect(audit.find((e) => e.operation === 'token.revoked')).toMatchObject({
      success: false,
      error: 'invalid_request',
    });
  });

  it('access_denied "Client is not within the token audience" → node failed exchange_refused, no escalation, not retried', async () => {
    const token = await userToken('carol', ['baton-api']);
    const { run, audit, escalations } = await stack.run('kc-read', token);
    expect(run.status).toBe('failed');
    expect(run.nodes[0].error).toMatchObject({ code: 'exchange_refused' });
    expect(run.nodes[0].attempts).toBe(1);
    expect(escalations).toEqual([]);
    expect(audit.find((e) => e.operation === 'token.exchanged')).toMatchObject({
      success: false,
      error: 'access_denied',
    });
    expect(keycloak.tokenRequests.filter((r) => r.form.subject_token === token)).toHaveLength(1);
  });
});
