import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { TEST_CLIENT_ID } from './support/dev-auth.js';
import { RunStack } from './support/run-stack.js';
import { eventually } from './support/waiting.js';
import { definition, httpNode } from './support/workflows.js';

interface SeenRevocation {
  token: string;
  hint: string | null;
  authorization: string | undefined;
  at: number;
}

/** An RFC 7009 endpoint that records what it got and answers from a script (status, delay). */
async function scriptedRevocationEndpoint(script: { status: number; delayMs?: number }[]) {
  const seen: SeenRevocation[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push({
        token: form.get('token') ?? '',
        hint: form.get('token_type_hint'),
        authorization: req.headers.authorization,
        at: Date.now(),
      });
      const answer = script.shift() ?? { status: 200 };
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.status === 200 ? '' : JSON.stringify({ error: 'temporarily_unavailable' }));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/revoke`;
  return { url, seen, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** SPEC §10.4 against the real dev authorization server and scripted revocation endpoints. */
describe('token release at run end (SPEC §10.4)', () => {
  let stack: RunStack;
  let flaky: Awaited<ReturnType<typeof scriptedRevocationEndpoint>>;
  let slow: Awaited<ReturnType<typeof scriptedRevocationEndpoint>>;

  beforeAll(async () => {
    // 503 twice, then 200: three tries.
    flaky = await scriptedRevocationEndpoint([{ status: 503 }, { status: 503 }]);
    // A slow endpoint, then a refusal that is final (400 is not retried).
    slow = await scriptedRevocationEndpoint([{ status: 400, delayMs: 1500 }]);
    const profile = (issuer: string, extra: object) => ({
      issuer,
      clientId: TEST_CLIENT_ID,
      clientAuth: 'client_secret_basic',
      clientSecretEnv: 'CORP_CLIENT_SECRET',
      expirySkewSeconds: 5,
      ...extra,
    });
    stack = await RunStack.start(
      {},
      {
        extraFor: (issuer) => ({
          exchangeProfiles: {
            corp: profile(issuer, {}),
            released: profile(issuer, { revokeOnRunEnd: true }),
            flaky: profile(issuer, { revokeOnRunEnd: true, revocationEndpoint: flaky.url }),
            slow: profile(issuer, { revokeOnRunEnd: true, revocationEndpoint: slow.url }),
          },
        }),
      },
    );
    for (const path of ['/a', '/b']) stack.resource.on('GET', path, { status: 200, body: { ok: true } });
    const nodes = (profile: string) => [
      httpNode('a', `${stack.resource.url}/a`, {
        oauth: { profile, requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
      }),
      httpNode('b', `${stack.resource.url}/b`, {
        dependsOn: ['a'],
        oauth: { profile, requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
      }),
    ];
    for (const profile of ['corp', 'released', 'flaky', 'slow'])
      await stack.register(definition(`rel-${profile}`, nodes(profile)));
  });
  afterAll(async () => {
    await stack?.close();
    await flaky?.close();
    await slow?.close();
  });

  const released = async (runId: string) =>
    (await stack.auditOf(runId)).filter((a) => a.operation === 'token.released');

  async function finishedRun(workflow: string, user: string) {
    const token = await stack.auth.mintToken(user, ['expenses:read']);
    const started = await stack.startRun(workflow, token);
    expect(started.status).toBe(202);
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    return started.body.id as string;
  }

  it('revokes the run’s token at the authorization server once the run ended, one token per run, and audits it', async () => {
    await stack.auth.resetStats();
    const first = await finishedRun('rel-released', 'rel-user');
    const second = await finishedRun('rel-released', 'rel-user');
    const rows1 = await eventually(
      () => released(first),
      (r) => r.length > 0,
      10000,
    );
    const rows2 = await eventually(
      () => released(second),
      (r) => r.length > 0,
      10000,
    );
    // Both nodes of a run share its token (same scopes and audience); runs never share one.
    expect(rows1).toHaveLength(1);
    expect(rows2).toHaveLength(1);
    expect(rows1[0]).toMatchObject({ success: true, details: { revoked: true, status: 200, profile: 'released' } });
    const stats = await stack.auth.stats();
    const exchanged = stats.exchanges.filter((e) => e.sub === 'rel-user');
    expect(exchanged).toHaveLength(2);
    expect(new Set(exchanged.map((e) => e.jti)).size).toBe(2);
    expect(stats.revocations.map((r) => r.jti).sort()).toEqual(exchanged.map((e) => e.jti).sort());
    expect([rows1[0]!.details.jti, rows2[0]!.details.jti].sort()).toEqual(exchanged.map((e) => e.jti).sort());
  });

  it('a profile without revokeOnRunEnd keeps sharing its cached token and releases nothing', async () => {
    await stack.auth.resetStats();
    const first = await finishedRun('rel-corp', 'keep-user');
    const second = await finishedRun('rel-corp', 'keep-user');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await released(first)).toEqual([]);
    expect(await released(second)).toEqual([]);
    expect((await stack.auth.stats()).revocations).toEqual([]);
  });

  it('retries a failing revocation endpoint with back-off and records the last status', async () => {
    const runId = await finishedRun('rel-flaky', 'flaky-user');
    const rows = await eventually(
      () => released(runId),
      (r) => r.length > 0,
      20000,
    );
    expect(rows[0]).toMatchObject({ success: true, details: { revoked: true, status: 200 } });
    expect(flaky.seen).toHaveLength(3);
    expect(new Set(flaky.seen.map((s) => s.token)).size).toBe(1);
    expect(flaky.seen.every((s) => s.hint === 'access_token' && s.authorization?.startsWith('Basic '))).toBe(true);
    expect(decodeJwt(flaky.seen[0]!.token).jti).toBe(rows[0]!.details.jti);
    expect(flaky.seen[2]!.at - flaky.seen[1]!.at).toBeGreaterThan(flaky.seen[1]!.at - flaky.seen[0]!.at);
  });

  it('a slow endpoint never delays the run; a refusal is final and audited as not revoked', async () => {
    const runId = await finishedRun('rel-slow', 'slow-user'); // succeeded while the revocation is still pending
    expect(await released(runId)).toEqual([]);
    const rows = await eventually(
      () => released(runId),
      (r) => r.length > 0,
      10000,
    );
    expect(rows[0]).toMatchObject({ success: false, details: { revoked: false, status: 400 } });
    expect(slow.seen).toHaveLength(1);
  });
});
