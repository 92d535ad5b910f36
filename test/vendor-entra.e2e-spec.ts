import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { selfSignedCertificate } from './support/vendors/certificate.js';
import { aadsts, ENTRA_CLAIMS_CHALLENGE, entraBehaviour } from './support/vendors/entra.js';
import { VendorServer } from './support/vendors/vendor-server.js';
import { VendorStack } from './support/vendors/vendor-stack.js';

/**
 * SPEC §9.1 `vendor: entra` (on-behalf-of, not RFC 8693) against an Entra-shaped server
 * (test/support/vendors/entra.ts), with `scopeSource: authorization-server` as Entra users' tokens
 * name only Baton's own scopes.
 */

const SECRET = 'entra-client-secret-0123456789';
const noConsent = new Set<string>();
const cert = selfSignedCertificate();
let entra: VendorServer;
let stack: VendorStack;

beforeAll(async () => {
  entra = await VendorServer.start(
    entraBehaviour({
      apis: { 'api://expenses': ['Expenses.Read', 'Expenses.Write'] },
      clients: [
        { clientId: 'baton-app', clientSecret: SECRET },
        { clientId: 'baton-cert-app', certificate: cert.certificate },
      ],
      noConsent,
    }),
  );
  stack = await VendorStack.start(entra, {
    profile: {
      vendor: 'entra',
      issuer: entra.issuer,
      clientId: 'baton-app',
      clientSecretEnv: 'ENTRA_SECRET',
      scopeSource: 'authorization-server',
    },
    moreProfiles: {
      cert: {
        vendor: 'entra',
        issuer: entra.issuer,
        clientId: 'baton-cert-app',
        clientAuth: 'private_key_jwt',
        privateKeyEnv: 'ENTRA_KEY',
        privateKeyAlg: 'PS256',
        certificateEnv: 'ENTRA_CERT',
        scopeSource: 'authorization-server',
      },
    },
    env: { ENTRA_SECRET: SECRET, ENTRA_KEY: cert.privateKey, ENTRA_CERT: cert.certificate },
  });
  stack.resource.on('GET', '/data', { status: 200, body: { ok: true } });
  await stack.register('entra-read', { requiredScopes: ['expenses.read'], audience: 'api://expenses' });
  await stack.register('entra-cert', {
    profile: 'cert',
    requiredScopes: ['Expenses.Read'],
    audience: 'api://expenses',
  });
});

afterAll(async () => {
  await stack?.close();
  await entra?.close();
});

// Entra user tokens for Baton name Baton's scope only (scp as a space-separated string).
const userToken = (sub: string) => entra.mintUserToken(sub, [], { scope: undefined, scp: 'baton.access baton:runs' });

describe('vendor entra', () => {
  it('sends jwt-bearer on-behalf-of with prefixed scopes and the secret in the body; the token reaches the resource server', async () => {
    const token = await userToken('alice');
    const { run, audit } = await stack.run('entra-read', token);
    expect(run.status).toBe('succeeded');

    const sent = entra.lastRequestOf('alice')!;
    expect(sent.form).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: token,
      requested_token_use: 'on_behalf_of',
      scope: 'api://expenses/expenses.read',
      client_id: 'baton-app',
      client_secret: SECRET,
    });
    expect(sent.headers.authorization).toBeUndefined();

    const issued = entra.issued.find((t) => decodeJwt(t).sub === 'alice')!;
    expect(stack.resource.seen('GET', '/data').some((r) => r.headers.authorization === `Bearer ${issued}`)).toBe(true);
    // The answer says api://expenses/Expenses.Read: compared without the prefix, case-insensitively.
    expect(audit.find((e) => e.operation === 'token.exchanged')).toMatchObject({
      success: true,
      scopes: ['expenses.read'],
      target: 'api://expenses',
    });
    expect(audit.find((e) => e.operation === 'scope.narrowed')!.details).toMatchObject({
      scopeSource: 'authorization-server',
    });
  });

  it('authenticates with a certificate assertion: x5t#S256 of the certificate, aud = the token endpoint', async () => {
    const { run } = await stack.run('entra-cert', await userToken('erin'));
    expect(run.status).toBe('succeeded');
    const sent = entra.lastRequestOf('erin')!;
    expect(Object.keys(sent.form).sort()).toEqual([
      'assertion',
      'client_assertion',
      'client_assertion_type',
      'client_id',
      'grant_type',
      'requested_token_use',
      'scope',
    ]);
    expect(sent.form.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const header = decodeProtectedHeader(sent.form.client_assertion!);
    expect(header).toMatchObject({
      alg: 'PS256',
      'x5t#S256': createHash('sha256').update(new X509Certificate(cert.certificate).raw).digest('base64url'),
    });
    expect(decodeJwt(sent.form.client_assertion!)).toMatchObject({
      aud: entra.tokenEndpoint,
      iss: 'baton-cert-app',
      sub: 'baton-cert-app',
    });
  });

  it('AADSTS65001 (no consent) → escalation consent_required naming the code', async () => {
    noConsent.add('frank');
    const { run, escalations } = await stack.run('entra-read', await userToken('frank'));
    expect(run.status).toBe('waiting_for_human');
    expect(escalations).toEqual([
      expect.objectContaining({ reason: 'consent_required', detail: expect.stringContaining('AADSTS65001') }),
    ]);
  });

  it('interaction_required with a claims challenge → consent_required carrying the claims in the detail', async () => {
    entra.scripted.set(
      'gina',
      aadsts(
        400,
        'interaction_required',
        50076,
        'Due to a configuration change made by your administrator, you must use multi-factor authentication.',
        { claims: ENTRA_CLAIMS_CHALLENGE, suberror: 'basic_action' },
      ),
    );
    const { escalations, audit } = await stack.run('entra-read', await userToken('gina'));
    expect(escalations).toEqual([
      expect.objectContaining({ reason: 'consent_required', detail: expect.stringContaining(ENTRA_CLAIMS_CHALLENGE) }),
    ]);
    expect(audit.find((e) => e.operation === 'token.exchanged')).toMatchObject({
      success: false,
      error: 'interaction_required',
    });
  });

  it('AADSTS500133 (assertion outside its validity) → audit token.expired, escalation token_expired', async () => {
    entra.scripted.set('hank', aadsts(400, 'invalid_grant', 500133, 'Assertion is not within its valid time range.'));
    const { escalations, audit } = await stack.run('entra-read', await userToken('hank'));
    expect(escalations).toEqual([expect.objectContaining({ reason: 'token_expired' })]);
    expect(audit.find((e) => e.operation === 'token.expired')).toMatchObject({
      success: false,
      error: 'invalid_grant',
    });
  });

  it('another invalid_grant (AADSTS50173, grant revoked) → token_revoked', async () => {
    entra.revokedSubjects.add('ivy');
    const { escalations, audit } = await stack.run('entra-read', await userToken('ivy'));
    expect(escalations).toEqual([expect.objectContaining({ reason: 'token_revoked' })]);
    expect(audit.find((e) => e.operation === 'token.revoked')).toMatchObject({ error: 'invalid_grant' });
  });

  it('a widening answer is refused with scopeSource authorization-server too', async () => {
    entra.scripted.set(
      'jack',
      await entra.issue({
        sub: 'jack',
        audience: 'api://expenses',
        scope: 'x',
        answerScope: 'api://expenses/Expenses.Read api://expenses/Expenses.Write',
      }),
    );
    const { run } = await stack.run('entra-read', await userToken('jack'));
    expect(run.status).toBe('failed');
    expect(run.nodes[0].error).toMatchObject({ code: 'scope_escalation' });
  });
});
