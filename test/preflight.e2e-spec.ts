import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { call } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { definition, httpNode } from './support/workflows.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';

/** SPEC §12.2 against the real stack: the dev authorization server, Postgres, the API. */
describe('preflight (SPEC §12.2)', () => {
  let stack: RunStack;

  const node = (id: string, requiredScopes: string[], audience = A, optionalScopes?: string[]) =>
    httpNode(id, 'http://127.0.0.1/pf', {
      oauth: { requiredScopes, ...(optionalScopes && { optionalScopes }), audience },
    });

  beforeAll(async () => {
    stack = await RunStack.start();
    await stack.register(
      definition(
        'pf-main',
        [
          node('fetch', ['pf:read']),
          node('again', ['pf:read']), // the same (profile, audience, resource, granted) as fetch
          node('notify', ['pf:read'], A, ['pf:notify']),
          node('other', ['pf:read'], B),
          { id: 'plain', type: 'http', request: { method: 'GET', url: 'http://127.0.0.1/pf' } },
          { id: 'ok', type: 'approval', dependsOn: ['fetch'], approval: { prompt: 'go?' } },
        ],
        {
          inputSchema: {
            type: 'object',
            required: ['reportId'],
            properties: { reportId: { type: 'string' } },
          },
        },
      ),
    );
    await stack.register(definition('pf-single', [node('both', ['pf:read', 'pf:write'])]));
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.auth.clearFaults();
    await stack.auth.resetStats();
  });

  const preflight = (name: string, token: string, body?: unknown) =>
    call(`${stack.api.url}/v1/workflows/${name}/preflight`, { token, method: 'POST', body: body ?? {} });
  const verdicts = (body: { nodes: { id: string; verdict: string }[] }) =>
    Object.fromEntries(body.nodes.map((n) => [n.id, n.verdict]));
  const preflightAudits = async (userId: string) =>
    (
      await stack.db.query(
        `SELECT run_id, workflow, agent_id, user_id, issuer, success, details FROM audit_entries
          WHERE operation = 'workflow.preflight' AND user_id = $1 ORDER BY id`,
        [userId],
      )
    ).rows;
  const runCount = async () => Number((await stack.db.query(`SELECT count(*) AS n FROM runs`)).rows[0].n);

  it('without exchange: every node passes, ready, expiresAt from the caller token, no exchange, no run, one audit entry', async () => {
    const token = await stack.auth.mintToken('pf-ready', ['pf:read', 'pf:notify', 'mail:read']);
    const response = await preflight('pf-main', token, { input: { reportId: 'r-1' } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      workflow: { name: 'pf-main', version: 1 },
      ready: true,
      subjectToken: { expiresAt: new Date(decodeJwt(token).exp! * 1000).toISOString() },
      problems: [],
    });
    expect(verdicts(response.body)).toEqual({
      fetch: 'ok',
      again: 'ok',
      notify: 'ok',
      other: 'ok',
      plain: 'no_token',
      ok: 'approval',
    });
    const byId = Object.fromEntries(response.body.nodes.map((n: { id: string }) => [n.id, n]));
    expect(byId.notify).toEqual({
      id: 'notify',
      type: 'http',
      profile: 'corp',
      audience: A,
      resource: null,
      requiredScopes: ['pf:read'],
      optionalScopes: ['pf:notify'],
      granted: ['pf:read', 'pf:notify'],
      missing: [],
      verdict: 'ok',
    });
    // Never the caller's other scopes.
    expect(byId.fetch.granted).toEqual(['pf:read']);
    expect(byId.plain).toMatchObject({ profile: null, granted: [], verdict: 'no_token' });

    expect((await stack.auth.stats()).tokenRequests).toBe(0);
    expect(await runCount()).toBe(0);
    expect(await preflightAudits('pf-ready')).toEqual([
      {
        run_id: null,
        workflow: 'pf-main',
        agent_id: 'test-agent',
        user_id: 'pf-ready',
        issuer: stack.auth.issuer,
        success: true,
        details: {
          version: 1,
          ready: true,
          exchange: false,
          verdicts: { fetch: 'ok', again: 'ok', notify: 'ok', other: 'ok', plain: 'no_token', ok: 'approval' },
        },
      },
    ]);
  });

  it('lists input problems with JSON paths (the run-start validation) and is not ready', async () => {
    const token = await stack.auth.mintToken('pf-input', ['pf:read']);
    const missing = await preflight('pf-main', token);
    expect(missing.status).toBe(200);
    expect(missing.body.ready).toBe(false);
    expect(missing.body.problems).toEqual([{ path: '$.input.reportId', message: 'is required' }]);
    const wrongType = await preflight('pf-main', token, { input: { reportId: 7 } });
    expect(wrongType.body.problems).toEqual([{ path: '$.input.reportId', message: 'must be string' }]);
    // The run start refuses the same input with the same problems.
    const start = await stack.startRun('pf-main', token, { reportId: 7 });
    expect(start.status).toBe(422);
    expect(start.body.errors).toEqual(wrongType.body.problems);
    expect((await preflightAudits('pf-input')).map((r) => [r.success, r.details.ready])).toEqual([
      [false, false],
      [false, false],
    ]);
  });

  it('insufficient_scope when the caller lacks a required scope; missing lists it; optional scopes narrow away', async () => {
    const token = await stack.auth.mintToken('pf-narrow', ['pf:notify']);
    const response = await preflight('pf-main', token, { input: { reportId: 'r' } });
    expect(response.body.ready).toBe(false);
    const byId = Object.fromEntries(response.body.nodes.map((n: { id: string }) => [n.id, n]));
    expect(byId.fetch).toMatchObject({ granted: ['pf:read'], missing: ['pf:read'], verdict: 'insufficient_scope' });
    expect(byId.notify).toMatchObject({
      granted: ['pf:read', 'pf:notify'],
      missing: ['pf:read'],
      verdict: 'insufficient_scope',
    });
    const reader = await stack.auth.mintToken('pf-narrow2', ['pf:read']);
    const narrowed = await preflight('pf-main', reader, { input: { reportId: 'r' } });
    expect(narrowed.body.nodes.find((n: { id: string }) => n.id === 'notify').granted).toEqual(['pf:read']);
    expect(narrowed.body.ready).toBe(true);
  });

  it('exchange: true makes exactly one exchange per distinct (profile, audience, resource, granted), revokes each token, creates no run', async () => {
    const token = await stack.auth.mintToken('pf-exchange', ['pf:read', 'pf:notify']);
    const response = await preflight('pf-main', token, { input: { reportId: 'r' }, exchange: true });
    expect(response.status).toBe(200);
    expect(response.body.ready).toBe(true);
    expect(verdicts(response.body)).toMatchObject({ fetch: 'ok', again: 'ok', notify: 'ok', other: 'ok' });

    const stats = await stack.auth.stats();
    // fetch and again share one; notify asks for more scopes; other has another audience.
    expect(stats.exchanges).toHaveLength(3);
    expect(stats.exchanges.map((e) => [[e.audience].flat().join(' '), e.scope]).sort()).toEqual(
      [
        [A, 'pf:read'],
        [A, 'pf:read pf:notify'],
        [B, 'pf:read'],
      ].sort(),
    );
    // Each issued token was revoked (RFC 7009) at the authorization server, by the client that got it.
    expect(stats.revocations.map((r) => r.jti).sort()).toEqual(stats.exchanges.map((e) => e.jti).sort());
    expect(new Set(stats.revocations.map((r) => r.sub))).toEqual(new Set(['pf-exchange']));
    expect(await runCount()).toBe(0);

    // No cache: a second preflight exchanges again.
    await preflight('pf-main', token, { input: { reportId: 'r' }, exchange: true });
    expect((await stack.auth.stats()).exchanges).toHaveLength(6);
    const audits = await preflightAudits('pf-exchange');
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({ run_id: null, success: true, details: { exchange: true, ready: true } });
  });

  it('exchange: true with a revoked user: token_revoked, not ready', async () => {
    const token = await stack.auth.mintToken('pf-revoked', ['pf:read']);
    expect((await preflight('pf-main', token, { input: { reportId: 'r' } })).body.ready).toBe(true);
    await stack.auth.revoke('pf-revoked');
    const response = await preflight('pf-main', token, { input: { reportId: 'r' }, exchange: true });
    expect(response.status).toBe(200);
    expect(response.body.ready).toBe(false);
    expect(verdicts(response.body)).toEqual({
      fetch: 'token_revoked',
      again: 'token_revoked',
      notify: 'token_revoked',
      other: 'token_revoked',
      plain: 'no_token',
      ok: 'approval',
    });
    expect((await stack.auth.stats()).revocations).toEqual([]); // nothing was issued, nothing to revoke
    expect((await preflightAudits('pf-revoked')).at(-1)).toMatchObject({
      success: false,
      details: { ready: false, exchange: true, verdicts: { fetch: 'token_revoked', plain: 'no_token' } },
    });
  });

  it.each([
    [{ error: 'consent_required' }, 400, 'consent_required'],
    [{ error: 'invalid_scope' }, 400, 'consent_required'],
    [{ error: 'temporarily_unavailable' }, 503, 'exchange_failed'],
    [{ error: 'invalid_client' }, 401, 'exchange_failed'],
  ])('exchange: true, the authorization server answers %j (HTTP %d): %s', async (body, status, verdict) => {
    const token = await stack.auth.mintToken('pf-fault', ['pf:read', 'pf:write']);
    await stack.auth.setFaults({ tokenEndpoint: { status, times: 1, body } });
    const response = await preflight('pf-single', token, { exchange: true });
    expect(response.status).toBe(200);
    expect(response.body.nodes[0].verdict).toBe(verdict);
    expect(response.body.ready).toBe(false);
    expect((await stack.auth.stats()).tokenRequests).toBe(1); // one attempt, no retry
  });

  it('exchange: true, the server grants less than required: insufficient_scope, the scope in missing, the token revoked', async () => {
    const token = await stack.auth.mintToken('pf-less', ['pf:read', 'pf:write']);
    await stack.auth.setFaults({ dropScope: 'pf:write' });
    const response = await preflight('pf-single', token, { exchange: true });
    expect(response.body.nodes[0]).toMatchObject({
      granted: ['pf:read', 'pf:write'],
      missing: ['pf:write'],
      verdict: 'insufficient_scope',
    });
    expect(response.body.ready).toBe(false);
    const stats = await stack.auth.stats();
    expect(stats.exchanges).toHaveLength(1);
    expect(stats.revocations.map((r) => r.jti)).toEqual([stats.exchanges[0]!.jti]);
  });

  it('a server that widens the scope: exchange_failed (scope_escalation), the token revoked', async () => {
    const token = await stack.auth.mintToken('pf-widen', ['pf:read', 'pf:write']);
    await stack.auth.setFaults({ widenScope: 'pf:admin' });
    const response = await preflight('pf-single', token, { exchange: true });
    expect(response.body.nodes[0].verdict).toBe('exchange_failed');
    const stats = await stack.auth.stats();
    expect(stats.exchanges).toHaveLength(1);
    expect(stats.revocations.map((r) => r.jti)).toEqual([stats.exchanges[0]!.jti]);
  });

  it('pins a version when asked; 404 for an unknown workflow or version; 400 (problem+json) for a bad body', async () => {
    const token = await stack.auth.mintToken('pf-errors', ['pf:read']);
    expect((await preflight('pf-single', token, { version: 1 })).body.workflow).toEqual({
      name: 'pf-single',
      version: 1,
    });
    for (const [name, body] of [
      ['pf-nope', {}],
      ['pf-single', { version: 9 }],
      ['Bad_Name', {}],
    ] as const) {
      const response = await preflight(name, token, body);
      expect(response.status).toBe(404);
      expect(response.contentType).toContain('application/problem+json');
    }
    for (const body of [{ exchange: 'yes' }, { colour: 'blue' }, { version: 0 }, { input: [1] }]) {
      const response = await preflight('pf-single', token, body);
      expect(response.status).toBe(400);
      expect(response.contentType).toContain('application/problem+json');
      expect(response.body.errors.length).toBeGreaterThan(0);
    }
    const malformed = await call(`${stack.api.url}/v1/workflows/pf-single/preflight`, {
      token,
      rawBody: '{"exchange":',
    });
    expect(malformed.status).toBe(400);
    expect((await call(`${stack.api.url}/v1/workflows/pf-single/preflight`, { method: 'POST', body: {} })).status).toBe(
      401,
    );
    expect(await preflightAudits('pf-errors')).toHaveLength(1);
  });
});
