import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dns from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call } from './support/api.js';
import { testConfig } from './support/config.js';
import { RunStack, WRITE } from './support/run-stack.js';
import { definition } from './support/workflows.js';
import { startWorker } from './support/worker.js';

/** A webhook receiver on loopback that records what reaches it. */
async function receiver(): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(String(req.url));
    res.writeHead(204).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('issue 10: where tokens and calls may go (items 2, 3, 4)', () => {
  let stack: RunStack;
  let port: number;
  let user: string;

  beforeAll(async () => {
    stack = await RunStack.start({
      allowedHosts: ['127.0.0.1', '*.example.com', 'localhost:1'],
      audienceOrigins: {
        'https://bound.example.com': ['http://127.0.0.1'],
        'https://rebind.example.com': ['http://rebind.example.com'],
      },
    });
    port = Number(new URL(stack.resource.url).port);
    user = await stack.auth.mintToken('dora', ['expenses:read']);
  });
  afterAll(() => stack?.close());

  /** Stops the stack's worker and starts one on the same database and queue with another baton.yaml. */
  async function swapWorker(http: { allowedHosts: string[]; audienceOrigins?: Record<string, string[]> }) {
    await stack.stopWorker();
    const config = testConfig(
      { issuer: stack.auth.issuer, allowedHosts: http.allowedHosts, audienceOrigins: http.audienceOrigins },
      { DATABASE_URL: stack.config.databaseUrl, BATON_QUEUE_PREFIX: stack.config.queuePrefix },
    );
    stack.worker = await startWorker(config);
  }

  async function failedNode(workflow: string) {
    const started = await stack.startRun(workflow, user, {});
    expect(started.status).toBe(202);
    const run = await stack.waitForRun(started.body.id, user, ['succeeded', 'failed']);
    expect(run.status).toBe('failed');
    const audit = await stack.auditOf(started.body.id);
    return { node: run.nodes[0], audit };
  }

  it('item 2: a URL whose origin is not bound to the node audience answers 422 with the JSON path when posted', async () => {
    const admin = await stack.auth.mintToken('admin', [WRITE]);
    const response = await call(`${stack.api.url}/v1/workflows`, {
      token: admin,
      body: definition('unbound', [
        {
          id: 'a',
          type: 'http',
          oauth: { requiredScopes: ['expenses:read'], audience: 'https://other.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/x` },
        },
      ]),
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      {
        path: '$.nodes[0].request.url',
        message: expect.stringContaining('is not bound to audience "https://other.example.com"'),
      },
    ]);
  });

  it('item 2: allowedHosts is port-aware when posted (host:port allows that port only)', async () => {
    const admin = await stack.auth.mintToken('admin', [WRITE]);
    const post = (url: string) =>
      call(`${stack.api.url}/v1/workflows`, {
        token: admin,
        body: definition('ported', [{ id: 'a', type: 'http', request: { method: 'GET', url } }]),
      });
    const refused = await post('http://localhost:2/x');
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { path: '$.nodes[0].request.url', message: 'host "localhost" is not in http.allowedHosts for port 2' },
    ]);
    expect((await post('http://localhost:1/x')).status).toBe(201);
  });

  it('item 2: a node whose audience is no longer bound to its origin fails audience_not_bound at call time, not retried, and nothing is called', async () => {
    stack.resource.on('GET', '/aud', { status: 200, body: {} });
    await stack.register(
      definition('aud-bound', [
        {
          id: 'a',
          type: 'http',
          oauth: { requiredScopes: ['expenses:read'], audience: 'https://bound.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/aud` },
        },
      ]),
    );
    await swapWorker({
      allowedHosts: ['127.0.0.1', '*.example.com'],
      audienceOrigins: { 'https://bound.example.com': ['https://bound.example.com'] },
    });
    const { node, audit } = await failedNode('aud-bound');
    expect(node).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'audience_not_bound' } });
    expect(audit.find((e) => e.operation === 'node.failed')).toMatchObject({
      error: 'audience_not_bound',
      success: false,
    });
    expect(audit.some((e) => e.operation === 'token.exchanged')).toBe(false); // no token minted for a refused destination
    expect(stack.resource.seen('GET', '/aud')).toHaveLength(0);
  });

  it('item 4: removing a host from http.allowedHosts stops stored workflows at call time (destination_not_allowed, not retried, audited)', async () => {
    stack.resource.on('GET', '/gone', { status: 200, body: {} });
    await swapWorker({ allowedHosts: ['127.0.0.1', '*.example.com'] });
    await stack.register(
      definition('host-removed', [
        { id: 'a', type: 'http', request: { method: 'GET', url: `${stack.resource.url}/gone` } },
      ]),
    );
    await swapWorker({ allowedHosts: ['*.example.com', `127.0.0.1:${port + 1}`] });
    const { node, audit } = await failedNode('host-removed');
    expect(node).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'destination_not_allowed', message: `127.0.0.1:${port} is not in http.allowedHosts` },
    });
    expect(audit.find((e) => e.operation === 'node.failed')).toMatchObject({ error: 'destination_not_allowed' });
    expect(stack.resource.seen('GET', '/gone')).toHaveLength(0);
  });

  it('item 3: a glob-allowed name that resolves to loopback when called (DNS rebinding) is refused on the resolved address', async () => {
    stack.resource.on('GET', '/rebind', { status: 200, body: {} });
    await swapWorker({ allowedHosts: ['*.example.com'] }); // loopback itself not listed
    await stack.register(
      definition('rebind', [
        { id: 'a', type: 'http', request: { method: 'GET', url: `http://rebind.example.com:${port}/rebind` } },
      ]),
    );
    // The name's resolver answers loopback at call time (what a rebinding attacker's DNS does).
    const real = dns.lookup;
    (dns as { lookup: unknown }).lookup = (host: string, options: unknown, callback: (...args: unknown[]) => void) =>
      host === 'rebind.example.com'
        ? callback(null, [{ address: '127.0.0.1', family: 4 }])
        : (real as (...args: unknown[]) => void)(host, options, callback);
    try {
      const { node, audit } = await failedNode('rebind');
      expect(node).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'private_address' } });
      expect(node.error.message).toContain('127.0.0.1');
      expect(audit.find((e) => e.operation === 'node.failed')).toMatchObject({ error: 'private_address' });
    } finally {
      (dns as { lookup: unknown }).lookup = real;
    }
    expect(stack.resource.seen('GET', '/rebind')).toHaveLength(0);
  });

  it('item 3: a literal private address is refused unless listed literally (a glob never reaches it)', async () => {
    await swapWorker({ allowedHosts: ['127.0.0.1', '*.example.com'] });
    await stack.register(
      definition('listed', [
        { id: 'a', type: 'http', request: { method: 'GET', url: `${stack.resource.url}/listed` } },
      ]),
    );
    stack.resource.on('GET', '/listed', { status: 200, body: { ok: 1 } });
    const started = await stack.startRun('listed', user, {});
    expect((await stack.waitForRun(started.body.id, user, ['succeeded', 'failed'])).status).toBe('succeeded');
  });
});

describe('issue 10 item 3: webhooks never reach private addresses unless notifications.allowPrivate', () => {
  it('refuses a webhook whose name resolves to loopback, and does not retry it', async () => {
    const hook = await receiver();
    const stack = await RunStack.start(
      {
        extra: {
          notifications: { webhookUrl: `http://localhost:${hook.port}/hook`, secretEnv: 'BATON_WEBHOOK_SECRET' },
        },
      },
      { env: { BATON_WEBHOOK_SECRET: 'whsec-test' } },
    );
    try {
      await stack.register(definition('approve-me', [{ id: 'ok', type: 'approval', approval: { prompt: 'ok?' } }]));
      const user = await stack.auth.mintToken('erin', []);
      const started = await stack.startRun('approve-me', user, {});
      expect((await stack.waitForRun(started.body.id, user, ['waiting_for_human'])).status).toBe('waiting_for_human');
      await sleep(1500);
      expect(hook.hits).toEqual([]);
    } finally {
      await stack.close();
      hook.server.close();
    }
  });
});
