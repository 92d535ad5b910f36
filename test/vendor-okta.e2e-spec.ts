import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { oktaBehaviour } from './support/vendors/okta.js';
import { basicCredentials, oauthError, VendorServer } from './support/vendors/vendor-server.js';
import { VendorStack } from './support/vendors/vendor-stack.js';

/** SPEC §9.1 `vendor: okta` against an Okta-shaped custom authorization server (test/support/vendors/okta.ts). */

const SECRET = 'okta-service-app-secret-0123456789';
const AUDIENCE = 'api://expenses';
let okta: VendorServer;
let stack: VendorStack;

beforeAll(async () => {
  okta = await VendorServer.start(
    oktaBehaviour({ audiences: [AUDIENCE], policyScopes: ['expenses:read', 'expenses:write'] }),
    [{ clientId: 'baton-service', clientSecret: SECRET }],
  );
  stack = await VendorStack.start(okta, {
    profile: { vendor: 'okta', issuer: okta.issuer, clientId: 'baton-service', clientSecretEnv: 'OKTA_SECRET' },
    moreProfiles: {
      asdecides: {
        vendor: 'okta',
        issuer: okta.issuer,
        clientId: 'baton-service',
        clientSecretEnv: 'OKTA_SECRET',
        scopeSource: 'authorization-server',
      },
    },
    env: { OKTA_SECRET: SECRET },
  });
  stack.resource.on('GET', '/data', { status: 200, body: { ok: true } });
  await stack.register('okta-read', {
    requiredScopes: ['expenses:read'],
    optionalScopes: ['expenses:notify'],
    audience: AUDIENCE,
  });
  await stack.register('okta-as', {
    profile: 'asdecides',
    requiredScopes: ['expenses:read'],
    optionalScopes: ['expenses:write'],
    audience: AUDIENCE,
  });
  await stack.register('okta-outside-policy', {
    profile: 'asdecides',
    requiredScopes: ['expenses:read'],
    optionalScopes: ['expenses:delete'],
    audience: AUDIENCE,
  });
});

afterAll(async () => {
  await stack?.close();
  await okta?.close();
});

describe('vendor okta', () => {
  it('sends RFC 8693 with audience and the narrowed scope; the token reaches the resource server', async () => {
    const token = await okta.mintUserToken('alice', ['expenses:read', 'calendar:read']);
    const { run, audit } = await stack.run('okta-read', token);
    expect(run.status).toBe('succeeded');
    const sent = okta.lastRequestOf('alice')!;
    expect(sent.form).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: AUDIENCE,
      scope: 'expenses:read',
    });
    expect(basicCredentials(sent.headers.authorization)).toEqual({ clientId: 'baton-service', clientSecret: SECRET });
    const issued = okta.issued.find((t) => decodeJwt(t).sub === 'alice')!;
    expect(stack.resource.seen('GET', '/data').some((r) => r.headers.authorization === `Bearer ${issued}`)).toBe(true);
    expect(audit.find((e) => e.operation === 'scope.narrowed')!.details).toMatchObject({ scopeSource: 'token' });
    expect(audit.find((e) => e.operation === 'token.exchanged')).toMatchObject({
      success: true,
      scopes: ['expenses:read'],
      details: expect.objectContaining({ jti: decodeJwt(issued).jti }),
    });
  });

  it('scopeSource authorization-server requests every declared scope, though the user token names none of them', async () => {
    const token = await okta.mintUserToken('bea', ['baton:runs']);
    const { run, audit } = await stack.run('okta-as', token);
    expect(run.status).toBe('succeeded');
    expect(okta.lastRequestOf('bea')!.form.scope).toBe('expenses:read expenses:write');
    expect(audit.find((e) => e.operation === 'scope.narrowed')).toMatchObject({
      scopes: ['expenses:read', 'expenses:write'],
      details: expect.objectContaining({ scopeSource: 'authorization-server' }),
    });
  });

  it('scopeSource authorization-server: a scope outside the policy answers invalid_scope → consent_required', async () => {
    const { escalations } = await stack.run('okta-outside-policy', await okta.mintUserToken('cody', ['baton:runs']));
    expect(escalations).toEqual([
      expect.objectContaining({ reason: 'consent_required', detail: expect.stringContaining('invalid_scope') }),
    ]);
  });

  it('invalid_grant → token_revoked', async () => {
    okta.revokedSubjects.add('dora');
    const { escalations, audit } = await stack.run('okta-read', await okta.mintUserToken('dora', ['expenses:read']));
    expect(escalations).toEqual([expect.objectContaining({ reason: 'token_revoked' })]);
    expect(audit.find((e) => e.operation === 'token.revoked')).toMatchObject({ error: 'invalid_grant' });
  });

  it('access_denied (the access policy denies) → consent_required', async () => {
    okta.scripted.set(
      'ezra',
      oauthError(
        403,
        'access_denied',
        'Policy evaluation failed for this request, please check the policy configurations.',
      ),
    );
    const { escalations } = await stack.run('okta-read', await okta.mintUserToken('ezra', ['expenses:read']));
    expect(escalations).toEqual([
      expect.objectContaining({ reason: 'consent_required', detail: expect.stringContaining('access_denied') }),
    ]);
  });

  it('a widening answer is refused in token mode: the node fails scope_escalation and the token is never used', async () => {
    okta.scripted.set(
      'finn',
      await okta.issue({ sub: 'finn', audience: AUDIENCE, scope: 'expenses:read expenses:write' }),
    );
    const before = stack.resource.requests.length;
    const { run } = await stack.run('okta-read', await okta.mintUserToken('finn', ['expenses:read', 'expenses:write']));
    expect(run.nodes[0].error).toMatchObject({ code: 'scope_escalation' });
    expect(stack.resource.requests.length).toBe(before);
  });
});
