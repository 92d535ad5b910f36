import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportPKCS8,
  generateKeyPair,
  jwtVerify,
  type JWK,
} from 'jose';
import { call } from './support/api.js';
import { auth0Behaviour } from './support/vendors/auth0.js';
import { oauthError, VendorServer } from './support/vendors/vendor-server.js';
import { VendorStack } from './support/vendors/vendor-stack.js';

/**
 * SPEC §9.1 `vendor: auth0` against an Auth0-shaped server (test/support/vendors/auth0.ts), with
 * an `actor` (SPEC §9.3): Baton's actor tokens, their published keys, `may_act`, and the `act`
 * chain in the audit trail.
 */

const SECRET = 'auth0-client-secret-0123456789';
const TOKEN_TYPE = 'urn:acme:baton-user-token';
const API = 'https://expenses.example.com';
const AGENTS = 'https://baton.example.com/agents';
let auth0: VendorServer;
let stack: VendorStack;
let jwks: { keys: JWK[] };
let retiredKid: string;

beforeAll(async () => {
  const current = await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey);
  const retired = await generateKeyPair('ES256', { extractable: true });
  retiredKid = 'agent-key-2025';
  const retiredJwk = JSON.stringify({
    ...(await (await import('jose')).exportJWK(retired.privateKey)),
    kid: retiredKid,
    alg: 'ES256',
  });
  auth0 = await VendorServer.start(auth0Behaviour({ subjectTokenType: TOKEN_TYPE, apis: [API] }), [
    { clientId: 'baton-m2m', clientSecret: SECRET },
  ]);
  stack = await VendorStack.start(auth0, {
    profile: {
      vendor: 'auth0',
      issuer: auth0.issuer,
      clientId: 'baton-m2m',
      clientSecretEnv: 'AUTH0_SECRET',
      subjectTokenType: TOKEN_TYPE,
      actor: { issuer: AGENTS, signingKeyEnv: 'AGENT_KEY', retiredKeyEnvs: ['OLD_AGENT_KEY'] },
    },
    env: { AUTH0_SECRET: SECRET, AGENT_KEY: current, OLD_AGENT_KEY: retiredJwk },
  });
  auth0.actorJwksUri = `${stack.api.url}/.well-known/jwks.json`;
  jwks = (await call(auth0.actorJwksUri)).body;
  stack.resource.on('GET', '/data', { status: 200, body: { ok: true } });
  await stack.register('auth0-read', { requiredScopes: ['read:expenses'], audience: API });
});

afterAll(async () => {
  await stack?.close();
  await auth0?.close();
});

const userToken = (sub: string, claims: Record<string, unknown> = {}) =>
  auth0.mintUserToken(sub, ['read:expenses'], claims);

describe('vendor auth0 with an actor', () => {
  it('publishes the current and retired actor keys at /.well-known/jwks.json without authentication', async () => {
    const response = await call(auth0.actorJwksUri!);
    expect(response.status).toBe(200);
    expect(response.body.keys).toHaveLength(2);
    expect(response.body.keys.map((k: JWK) => k.kid)).toContain(retiredKid);
    for (const key of response.body.keys as JWK[]) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: 'ES256', use: 'sig', kty: 'EC' });
      expect(key.d).toBeUndefined();
    }
  });

  it('sends the custom subject_token_type, the secret in the body and a fresh actor token; act reaches the audit', async () => {
    const token = await userToken('alice');
    const { run, audit } = await stack.run('auth0-read', token);
    expect(run.status).toBe('succeeded');
    const sent = auth0.lastRequestOf('alice')!;
    expect(sent.form).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: token,
      subject_token_type: TOKEN_TYPE,
      audience: API,
      scope: 'read:expenses',
      actor_token: expect.any(String),
      actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      client_id: 'baton-m2m',
      client_secret: SECRET,
    });
    expect(sent.headers.authorization).toBeUndefined();

    // The actor token: typ JWT, a published (current, not retired) kid, the agent as sub, ≤ 60 s.
    const header = decodeProtectedHeader(sent.form.actor_token!);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'ES256' });
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    expect(header.kid).not.toBe(retiredKid);
    const { payload } = await jwtVerify(sent.form.actor_token!, createLocalJWKSet(jwks), {
      issuer: AGENTS,
      audience: auth0.issuer,
      subject: 'expense-agent',
    });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    expect(typeof payload.jti).toBe('string');

    const issued = auth0.issued.find((t) => decodeJwt(t).sub === 'alice')!;
    expect(stack.resource.seen('GET', '/data').some((r) => r.headers.authorization === `Bearer ${issued}`)).toBe(true);
    const exchanged = audit.find((e) => e.operation === 'token.exchanged')!;
    expect(exchanged.details).toMatchObject({
      actor: 'expense-agent',
      act: { sub: 'expense-agent', iss: AGENTS },
      jti: decodeJwt(issued).jti,
    });
  });

  it('every exchange gets an actor token with its own jti', async () => {
    await stack.run('auth0-read', await userToken('bob'));
    await stack.run('auth0-read', await userToken('bob2'));
    const jtis = ['bob', 'bob2'].map((sub) => decodeJwt(auth0.lastRequestOf(sub)!.form.actor_token!).jti);
    expect(new Set(jtis).size).toBe(2);
  });

  it("inside a sub-workflow the child's actor token names its parent's agent in a nested act (SPEC §9.3, §11)", async () => {
    const receipts = await stack.post(
      'auth0-receipts',
      { requiredScopes: ['read:expenses'], audience: API },
      {
        agentId: 'receipts-agent',
      },
    );
    expect(receipts.status).toBe(201);
    const parent = await stack.post(
      'auth0-delegating',
      {},
      {
        agentId: 'expense-agent',
        nodes: [
          {
            id: 'delegate',
            type: 'workflow',
            workflow: { name: 'auth0-receipts' },
            oauth: { profile: 'idp', requiredScopes: ['read:expenses'] },
          },
        ],
      },
    );
    expect(parent.status).toBe(201);
    // The parent succeeds once its child did, which took the child's exchange.
    const { run } = await stack.run('auth0-delegating', await userToken('erin'));
    expect(run.status).toBe('succeeded');
    const sent = auth0.lastRequestOf('erin')!;
    const { payload } = await jwtVerify(sent.form.actor_token!, createLocalJWKSet(jwks), {
      issuer: AGENTS,
      audience: auth0.issuer,
      subject: 'receipts-agent',
    });
    expect(payload.act).toEqual({ sub: 'expense-agent', iss: AGENTS });
  });

  it('may_act naming the agent lets the exchange happen', async () => {
    const { run } = await stack.run(
      'auth0-read',
      await userToken('cara', { may_act: { sub: 'expense-agent', iss: AGENTS } }),
    );
    expect(run.status).toBe('succeeded');
  });

  it('may_act naming another party: consent_required, and no exchange is attempted', async () => {
    const token = await userToken('dave', { may_act: { sub: 'travel-agent' } });
    const { run, escalations, audit } = await stack.run('auth0-read', token);
    expect(run.status).toBe('waiting_for_human');
    expect(escalations).toEqual([
      expect.objectContaining({ reason: 'consent_required', detail: expect.stringContaining('may_act') }),
    ]);
    expect(auth0.tokenRequests.filter((r) => r.form.subject_token === token)).toHaveLength(0);
    expect(audit.find((e) => e.operation === 'token.exchanged')).toMatchObject({ success: false });
  });

  it('invalid_request (the Action rejected the subject token) → token_revoked', async () => {
    auth0.revokedSubjects.add('erin');
    const { escalations, audit } = await stack.run('auth0-read', await userToken('erin'));
    expect(escalations).toEqual([expect.objectContaining({ reason: 'token_revoked' })]);
    expect(audit.find((e) => e.operation === 'token.revoked')).toMatchObject({ error: 'invalid_request' });
  });

  it('invalid_grant → token_revoked', async () => {
    auth0.scripted.set('fay', oauthError(400, 'invalid_grant', 'Invalid subject token'));
    const { escalations } = await stack.run('auth0-read', await userToken('fay'));
    expect(escalations).toEqual([expect.objectContaining({ reason: 'token_revoked' })]);
  });

  it('access_denied (the Action denied) → consent_required', async () => {
    auth0.scripted.set('gus', oauthError(403, 'access_denied', 'The user is not allowed to use this API'));
    const { escalations } = await stack.run('auth0-read', await userToken('gus'));
    expect(escalations).toEqual([
      expect.objectContaining({ reason: 'consent_required', detail: expect.stringContaining('access_denied') }),
    ]);
  });

  it('429 too_many_requests → transient: retried by the node policy, then exchange_failed', async () => {
    auth0.scripted.set('hal', {
      status: 429,
      body: { error: 'too_many_requests', error_description: 'Rate limit exceeded' },
      headers: { 'retry-after': '0' },
    });
    const { run } = await stack.run('auth0-read', await userToken('hal'));
    expect(run.status).toBe('failed');
    expect(run.nodes[0]).toMatchObject({ attempts: 2, error: { code: 'exchange_failed' } });
    expect(auth0.tokenRequests.filter((r) => decodeJwt(r.form.subject_token!).sub === 'hal')).toHaveLength(2);
  });

  it('no subject, actor or issued token and no secret reaches the audit trail or the escalations', async () => {
    const secrets = [
      SECRET,
      ...auth0.issued,
      ...auth0.tokenRequests.flatMap((r) => [r.form.subject_token!, r.form.actor_token!].filter(Boolean)),
    ];
    expect(secrets.length).toBeGreaterThan(10);
    const { rows } = await stack.db.query(
      `SELECT (SELECT coalesce(string_agg(a::text, ' '), '') FROM audit_entries a) || (SELECT coalesce(string_agg(e::text, ' '), '') FROM escalations e) AS text`,
    );
    for (const secret of secrets) expect(rows[0].text.includes(secret)).toBe(false);
  });
});
