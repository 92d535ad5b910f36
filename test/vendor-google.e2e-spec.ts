import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { googleBehaviour } from './support/vendors/google.js';
import { VendorServer } from './support/vendors/vendor-server.js';
import { VendorStack } from './support/vendors/vendor-stack.js';

/**
 * SPEC §9.1 `vendor: google` against a Google-STS-shaped server (test/support/vendors/google.ts):
 * no client authentication at all, opaque issued tokens. The fixture also plays the external
 * identity provider whose JWTs are the subject tokens.
 */

const PROVIDER = '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/baton/providers/corp-idp';
const CLOUD = 'https://www.googleapis.com/auth/cloud-platform';
let sts: VendorServer;
let stack: VendorStack;

beforeAll(async () => {
  sts = await VendorServer.start(googleBehaviour({ providers: [PROVIDER] }));
  stack = await VendorStack.start(sts, {
    profile: {
      vendor: 'google',
      tokenEndpoint: sts.tokenEndpoint,
      extraParams: { options: '{"userProject":"baton-demo"}' },
    },
  });
  stack.resource.on('GET', '/data', { status: 200, body: { ok: true } });
  await stack.register('gcp-read', { requiredScopes: [CLOUD], audience: PROVIDER });
  await stack.register('gcp-wrong-audience', {
    requiredScopes: [CLOUD],
    audience: '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/baton/providers/other',
  });
});

afterAll(async () => {
  await stack?.close();
  await sts?.close();
});

describe('vendor google', () => {
  it('sends no Authorization, no client_id and no secret; the opaque token reaches the resource server; no jti', async () => {
    const token = await sts.mintUserToken('alice', [CLOUD]);
    const { run, audit } = await stack.run('gcp-read', token);
    expect(run.status).toBe('succeeded');
    const sent = sts.lastRequestOf('alice')!;
    expect(sent.form).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: PROVIDER,
      scope: CLOUD,
      options: '{"userProject":"baton-demo"}',
    });
    expect(sent.headers.authorization).toBeUndefined();

    const issued = sts.issued.at(-1)!;
    expect(issued).toMatch(/^ya29\./);
    expect(stack.resource.seen('GET', '/data').some((r) => r.headers.authorization === `Bearer ${issued}`)).toBe(true);
    const exchanged = audit.find((e) => e.operation === 'token.exchanged')!;
    expect(exchanged).toMatchObject({ success: true, scopes: [CLOUD], target: PROVIDER });
    expect(exchanged.details.jti).toBeUndefined();
    // Expiry from expires_in (3599 s).
    const expiresIn = (Date.parse(exchanged.details.expiresAt) - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(3500);
    expect(expiresIn).toBeLessThanOrEqual(3600);
  });

  it('invalid_grant (subject token rejected) → token_revoked', async () => {
    sts.revokedSubjects.add('bob');
    const { escalations, audit } = await stack.run('gcp-read', await sts.mintUserToken('bob', [CLOUD]));
    expect(escalations).toEqual([expect.objectContaining({ reason: 'token_revoked' })]);
    expect(audit.find((e) => e.operation === 'token.revoked')).toMatchObject({ error: 'invalid_grant' });
  });

  it('invalid_target (a provider STS does not know) → consent_required', async () => {
    const { escalations } = await stack.run('gcp-wrong-audience', await sts.mintUserToken('carol', [CLOUD]));
    expect(escalations).toEqual([
      expect.objectContaining({ reason: 'consent_required', detail: expect.stringContaining('invalid_target') }),
    ]);
  });

  it('a 503 from STS is retried with the node policy, then fails exchange_failed', async () => {
    sts.scripted.set('dan', { status: 503, body: { error: 'unavailable' } });
    const { run } = await stack.run('gcp-read', await sts.mintUserToken('dan', [CLOUD]));
    expect(run.status).toBe('failed');
    expect(run.nodes[0]).toMatchObject({ attempts: 2, error: { code: 'exchange_failed' } });
  });
});
