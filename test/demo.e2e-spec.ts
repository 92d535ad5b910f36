import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { resolve } from 'node:path';
import pg from 'pg';
import { DevAuth } from './support/dev-auth.js';
import { isolatedEnv } from './support/isolation.js';
import { closedPort, freePort, REPO_ROOT, waitForStatus } from './support/processes.js';

// `npm run demo` as a newcomer runs it: the built demo (dist/tools/demo/main.js) starts the built
// api, worker, dev authorization server and demo resource server against the real Postgres and Redis.

interface DemoResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runBuilt(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<DemoResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, script), ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      // 'exit' may come before the pipes are drained
      setTimeout(() => done({ code, signal, stdout, stderr }), 50);
    });
  });
}

/** Four distinct free ports for PORT, WORKER_PORT, DEV_AS_PORT, DEMO_RESOURCE_PORT. */
async function demoPorts(): Promise<{ api: number; worker: number; devAs: number; resource: number }> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [api, worker, devAs, resource] = [...ports] as [number, number, number, number];
  return { api, worker, devAs, resource };
}

function demoEnv(
  ports: Awaited<ReturnType<typeof demoPorts>>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the demo's children
  return {
    ...env,
    ...isolatedEnv(),
    PORT: String(ports.api),
    WORKER_PORT: String(ports.worker),
    DEV_AS_PORT: String(ports.devAs),
    DEMO_RESOURCE_PORT: String(ports.resource),
    ...overrides,
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function nothingListensOn(ports: Record<string, number>): Promise<void> {
  for (const [name, port] of Object.entries(ports))
    expect({ name, port, listening: await listening(port) }).toEqual({ name, port, listening: false });
}

describe('npm run demo -- --once', () => {
  let ports: Awaited<ReturnType<typeof demoPorts>>;
  let env: Record<string, string>;
  let result: DemoResult;
  let db: pg.Client;

  beforeAll(async () => {
    ports = await demoPorts();
    env = demoEnv(ports);
    result = await runBuilt('dist/tools/demo/main.js', ['--once'], env, 100_000);
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
  }, 110_000);

  afterAll(async () => {
    await db?.end();
  });

  it('tells the story and exits 0', () => {
    const out = result.stdout;
    // on failure, show what the demo said
    expect({ code: result.code, said: result.code === 0 ? '' : `${result.stdout}\n${result.stderr}` }).toEqual({
      code: 0,
      said: '',
    });
    expect(out).toMatch(/fetch: .*narrowed to expenses:read/);
    expect(out).toMatch(
      /the expenses API saw aud=https:\/\/expenses\.example\.com scope="expenses:read" sub=alice act=baton-worker → 200/,
    );
    expect(out).toMatch(/escalation approval_required/);
    expect(out).toContain('prompt: "Submit report R-1042 for 312.5?"');
    expect(out).toMatch(/morgan .* approves/);
    expect(out).toMatch(/the run pauses with token_revoked/);
    expect(out).toMatch(/alice signs in again; the run resumes with her new token/);
    expect(out).toMatch(/submit: token narrowed to expenses:write expenses:notify/);
    expect(out).toMatch(/Run [0-9a-f-]{36} succeeded in/);
    // the order of the milestones
    const milestones = [
      'delegating only expenses:read',
      'a child run',
      'narrowed to expenses:read',
      'approval_required',
      'session is revoked',
      'approves',
      'token_revoked',
      'signs in again',
      'succeeded in',
    ];
    const positions = milestones.map((m) => out.indexOf(m));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions).not.toContain(-1);
  });

  it('prints the audit trail as a table, and where to look next', () => {
    const out = result.stdout;
    expect(out).toMatch(/#\s+operation\s+node\s+granted scopes\s+target\s+outcome/);
    expect(out).toMatch(
      /Audit trail of run [0-9a-f-]{36} \(\d+ entries, [2-9] pages of GET \/v1\/runs\/\{id\}\/audit\)/,
    );
    expect(out).toMatch(/\d+\s+run\.started\s+-\s+expenses:read expenses:write expenses:notify calendar:read\s+-\s+ok/);
    expect(out).toMatch(/\d+\s+token\.exchanged\s+fetch\s+expenses:read\s+https:\/\/expenses\.example\.com\s+ok/);
    expect(out).toMatch(
      /\d+\s+token\.revoked\s+submit\s+expenses:write expenses:notify\s+https:\/\/expenses\.example\.com\s+failed \(security_event\)/,
    );
    expect(out).toMatch(/\d+\s+escalation\.resolved\s+approve\s+-\s+-\s+ok \(approve by morgan\)/);
    expect(out).toMatch(/\d+\s+escalation\.resolved\s+submit\s+-\s+-\s+ok \(resume by alice\)/);
    expect(out).toMatch(/\d+\s+run\.succeeded\s+-\s+-\s+-\s+ok/);
    expect(out).toContain(`http://127.0.0.1:${ports.api}/docs`);
    expect(out).toContain(`http://127.0.0.1:${ports.api}/metrics`);
    expect(out).toContain(`http://127.0.0.1:${ports.devAs}/.well-known/openid-configuration`);
    expect(out).toMatch(/every process stopped/);
  });

  it('never prints a token (no JWT in its output)', () => {
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('leaves a succeeded run with both escalations resolved and a complete audit trail', async () => {
    const runs = await db.query(
      `SELECT id, workflow_name, status, user_sub, subject_token_ciphertext FROM runs WHERE workflow_name = 'expense-approval'`,
    );
    expect(runs.rows).toHaveLength(1);
    const run = runs.rows[0];
    expect(run).toMatchObject({
      workflow_name: 'expense-approval',
      status: 'succeeded',
      user_sub: 'alice',
      subject_token_ciphertext: null,
    });

    const escalations = await db.query(
      `SELECT node_id, reason, status, action, resolved_by FROM escalations WHERE run_id = $1 ORDER BY created_at`,
      [run.id],
    );
    expect(escalations.rows).toEqual([
      { node_id: 'approve', reason: 'approval_required', status: 'resolved', action: 'approve', resolved_by: 'morgan' },
      { node_id: 'submit', reason: 'token_revoked', status: 'resolved', action: 'resume', resolved_by: 'alice' },
    ]);

    const audit = await db.query(
      `SELECT operation, node_id, scopes, success FROM audit_entries WHERE run_id = $1 ORDER BY run_seq`,
      [run.id],
    );
    const count = (operation: string, nodeId?: string) =>
      audit.rows.filter((r) => r.operation === operation && (nodeId === undefined || r.node_id === nodeId)).length;
    expect(audit.rows[0].operation).toBe('run.started');
    expect(audit.rows.at(-1).operation).toBe('run.succeeded');
    expect(count('run.started')).toBe(1);
    expect(audit.rows.filter((r) => r.operation === 'token.exchanged' && r.node_id === 'fetch')).toEqual([
      { operation: 'token.exchanged', node_id: 'fetch', scopes: ['expenses:read'], success: true },
    ]);
    expect(audit.rows.filter((r) => r.operation === 'token.exchanged' && r.node_id === 'submit')).toEqual([
      { operation: 'token.exchanged', node_id: 'submit', scopes: ['expenses:write', 'expenses:notify'], success: true },
    ]);
    expect(count('escalation.created')).toBe(2);
    expect(count('escalation.resolved')).toBe(2);
    expect(audit.rows.filter((r) => r.operation === 'token.revoked')).toEqual([
      { operation: 'token.revoked', node_id: 'submit', scopes: ['expenses:write', 'expenses:notify'], success: false },
    ]);
    expect(count('node.succeeded', 'fetch')).toBe(1);
    expect(count('node.succeeded', 'approve')).toBe(1);
    expect(count('node.succeeded', 'submit')).toBe(1);
    expect(count('run.succeeded')).toBe(1);
  });

  it('has the expense agent delegate the receipt check to a child run that only ever held expenses:read', async () => {
    expect(result.stdout).toMatch(
      /check-receipt: a child run [0-9a-f-]{36} of receipt-check \(depth 1, parent [0-9a-f-]{36}\)/,
    );
    expect(result.stdout).toMatch(
      /the expenses API saw aud=https:\/\/expenses\.example\.com scope="expenses:read" sub=alice/,
    );
    const tree = await db.query(
      `SELECT c.id, c.status, c.depth, c.agent_id, p.workflow_name AS parent_workflow, p.status AS parent_status
       FROM runs c JOIN runs p ON p.id = c.parent_run_id WHERE c.workflow_name = 'receipt-check'`,
    );
    expect(tree.rows).toEqual([
      {
        id: expect.any(String),
        status: 'succeeded',
        depth: 1,
        agent_id: 'receipts-agent',
        parent_workflow: 'expense-check',
        parent_status: 'succeeded',
      },
    ]);
    const exchanged = await db.query(
      `SELECT node_id, scopes FROM audit_entries WHERE run_id = $1 AND operation = 'token.exchanged'`,
      [tree.rows[0].id],
    );
    expect(exchanged.rows).toEqual([{ node_id: 'read-receipt', scopes: ['expenses:read'] }]);
  });

  it('stops every process it started', async () => {
    await nothingListensOn(ports);
  });
});

describe('npm run demo when something is missing', () => {
  it('Postgres unreachable: one clear message naming the URL and how to start it, exit non-zero, nothing started', async () => {
    const ports = await demoPorts();
    const deadPort = await closedPort();
    const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${deadPort}/baton`;
    const result = await runBuilt(
      'dist/tools/demo/main.js',
      ['--once'],
      demoEnv(ports, { DATABASE_URL: databaseUrl }),
      30_000,
    );
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain(
      `Postgres cannot be reached at postgres://postgres:***@127.0.0.1:${deadPort}/baton`,
    );
    expect(result.stderr).toContain('docker compose up -d postgres redis');
    expect(result.stderr).toContain('Nothing was started.');
    expect(result.stderr).not.toContain('Redis cannot be reached');
    expect(result.stdout).not.toContain('Starting the stack');
    await nothingListensOn(ports);
  }, 40_000);

  it('a port already taken: says which one, exits non-zero, leaves nothing running', async () => {
    const ports = await demoPorts();
    const squatter: Server = createServer();
    await new Promise<void>((done) => squatter.listen(ports.worker, '127.0.0.1', done));
    try {
      const result = await runBuilt('dist/tools/demo/main.js', ['--once'], demoEnv(ports), 30_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `Port ${ports.worker} (WORKER_PORT, the worker's health and metrics) is already in use.`,
      );
      expect(result.stderr).toContain('Nothing was started.');
      const { worker: _taken, ...others } = ports;
      await nothingListensOn(others);
    } finally {
      await new Promise((done) => squatter.close(done));
    }
  }, 40_000);
});

describe('the demo resource server, standalone', () => {
  let auth: DevAuth;
  let port: number;
  let server: ReturnType<typeof spawn>;
  let logs = '';
  const audience = 'https://expenses.example.com';

  beforeAll(async () => {
    auth = await DevAuth.start();
    port = await freePort();
    server = spawn(process.execPath, [resolve(REPO_ROOT, 'dist/tools/demo-resource-server/main.js')], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '', DEMO_RESOURCE_PORT: String(port), DEMO_ISSUER: auth.issuer },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk) => (logs += chunk));
    expect(await waitForStatus(`http://127.0.0.1:${port}/health`, 200)).toBe(200);
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
    await auth?.close();
  });

  const call = (method: string, path: string, token?: string) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { ...(token && { authorization: `Bearer ${token}` }), 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify({ total: 312.5 }) : undefined,
    });

  it('answers with the right audience and scope; refuses a missing token, another audience, a missing scope', async () => {
    const reader = await auth.mintTokenWithClaims('alice', ['expenses:read'], { aud: audience });
    const ok = await call('GET', '/reports/R-1042', reader);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: 'R-1042', total: 312.5 });

    const none = await call('GET', '/reports/R-1042');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const wrongAudience = await auth.mintToken('alice', ['expenses:read']); // aud baton-api only
    const refused = await call('GET', '/reports/R-1042', wrongAudience);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const submit = await call('POST', '/reports/R-1042/submit', reader);
    expect(submit.status).toBe(403);
    expect(submit.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="expenses:write"');

    const writer = await auth.mintTokenWithClaims('alice', ['expenses:write'], { aud: audience });
    expect((await call('POST', '/reports/R-1042/submit', writer)).status).toBe(200);
    expect((await call('GET', '/reports/R-1042', writer)).status).toBe(403);

    // It logs what it saw, never the token.
    expect(logs).toContain('"aud":"https://expenses.example.com","scope":"expenses:read"');
    for (const token of [reader, writer, wrongAudience]) expect(logs).not.toContain(token.split('.')[2]!);
  });
});
