import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { RunStack } from './support/run-stack.js';
import { definition } from './support/workflows.js';

const CLI = resolve(import.meta.dirname, '../dist/tools/cli/main.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built `baton` binary in its own process, against the real stack. */
function baton(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 25_000 },
      (error, stdout, stderr) => {
        done({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}

describe('the baton CLI (SPEC §15) against the real stack', () => {
  let stack: RunStack;
  let dir: string;
  let env: Record<string, string>;
  let userToken: string;

  beforeAll(async () => {
    stack = await RunStack.start();
    dir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
    stack.resource.on('GET', '/cli/items', { status: 200, body: { total: 7 } });
    const token = await stack.auth.mintToken('cli-author', ['baton:workflows:write', 'items:read']);
    userToken = await stack.auth.mintToken('cli-user', ['items:read']);
    env = { BATON_URL: stack.api.url, BATON_TOKEN: userToken };
    const fetchNode = {
      id: 'fetch',
      type: 'http' as const,
      oauth: { requiredScopes: ['items:read'], audience: 'https://a.example.com' },
      request: { method: 'GET', url: `${stack.resource.url}/cli/items` },
    };
    writeFileSync(join(dir, 'cli-fetch.yaml'), stringify(definition('cli-fetch', [fetchNode])));
    writeFileSync(
      join(dir, 'cli-approval.json'),
      JSON.stringify(
        definition('cli-approval', [
          fetchNode,
          {
            id: 'ok',
            type: 'approval',
            dependsOn: ['fetch'],
            approval: { prompt: 'Go on with {{nodes.fetch.output.body.total}}?' },
          },
        ]),
      ),
    );
    writeFileSync(join(dir, 'author.token'), `${token}\n`);
  });
  afterAll(() => stack?.close());

  const author = () => ['--token-file', join(dir, 'author.token')];

  it('workflows apply (YAML and JSON) prints name, version and scope changes; workflows list shows them; --json prints the stored definition', async () => {
    const yaml = await baton(['workflows', 'apply', ...author(), '-f', join(dir, 'cli-fetch.yaml')], env);
    expect(yaml).toMatchObject({
      code: 0,
      stdout:
        'cli-fetch version 1\nscope changes (new workflow): 1 added, 0 removed\n  + fetch items:read (required)\n',
    });
    const json = await baton(['--json', 'workflows', 'apply', ...author(), '-f', join(dir, 'cli-approval.json')], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'cli-approval',
      version: 1,
      nodes: [{ id: 'fetch' }, { id: 'ok' }],
      scopeChanges: { previousVersion: null, added: [{ node: 'fetch', scope: 'items:read', kind: 'required' }] },
    });
    const again = await baton(['workflows', 'apply', ...author(), '-f', join(dir, 'cli-approval.json')], env);
    expect(again).toMatchObject({ code: 0, stdout: 'cli-approval version 2\nscopes unchanged (since version 1)\n' });

    const list = await baton(['workflows', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^cli-approval\tv2\t2 nodes$/m);
    expect(list.stdout).toMatch(/^cli-fetch\tv1\t1 nodes$/m);
    const listed = JSON.parse((await baton(['workflows', 'list', '--json'], env)).stdout);
    expect(listed.map((w: { name: string }) => w.name)).toEqual(expect.arrayContaining(['cli-fetch', 'cli-approval']));
  });

  it('preflight prints a verdict per node: exit 0 when ready, 1 when not; --exchange tries the exchange; --json the answer', async () => {
    const ready = await baton(['preflight', 'cli-fetch'], env);
    expect(ready.code).toBe(0);
    expect(ready.stdout).toMatch(/^cli-fetch version 1: ready \(token expires .+\)$/m);
    expect(ready.stdout).toMatch(/^fetch\thttp\tok\tgranted items:read$/m);

    const exchanged = JSON.parse((await baton(['--json', 'preflight', 'cli-fetch', '--exchange'], env)).stdout);
    expect(exchanged).toMatchObject({ ready: true, nodes: [{ id: 'fetch', verdict: 'ok' }] });

    writeFileSync(join(dir, 'lacking.token'), await stack.auth.mintToken('cli-lacking', ['other:read']));
    const lacking = await baton(['preflight', 'cli-fetch', '--token-file', join(dir, 'lacking.token')], env);
    expect(lacking.code).toBe(1);
    expect(lacking.stdout).toMatch(/^cli-fetch version 1: not ready/m);
    expect(lacking.stdout).toMatch(/^fetch\thttp\tinsufficient_scope\tmissing items:read$/m);

    expect((await baton(['preflight', 'cli-fetch', '--input', '[1]'], env)).code).toBe(2);
    const unknown = await baton(['preflight', 'no-such-workflow'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not exist');
  });

  it('runs start (idempotent with --idempotency-key), runs watch until it succeeds (exit 0), runs get, audit verify', async () => {
    const first = await baton(
      ['--json', 'runs', 'start', 'cli-fetch', '--input', '{"n":1}', '--idempotency-key', 'cli-k1'],
      env,
    );
    expect(first.code).toBe(0);
    const started = JSON.parse(first.stdout);
    expect(started).toMatchObject({ id: expect.any(String), workflow: { name: 'cli-fetch', version: 1 } });
    const again = await baton(
      ['--json', 'runs', 'start', 'cli-fetch', '--input', '{"n":1}', '--idempotency-key', 'cli-k1'],
      env,
    );
    expect(JSON.parse(again.stdout).id).toBe(started.id);

    const watch = await baton(['runs', 'watch', started.id], env);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(new RegExp(`run ${started.id}  cli-fetch v1  succeeded`));
    expect(watch.stdout).toMatch(/✔ fetch {2}succeeded {2}scopes items:read/);

    const get = await baton(['--json', 'runs', 'get', started.id], env);
    expect(JSON.parse(get.stdout)).toMatchObject({
      id: started.id,
      status: 'succeeded',
      nodes: [{ id: 'fetch', status: 'succeeded' }],
    });
    const text = await baton(['runs', 'get', started.id], env);
    expect(text.stdout.split('\n')[0]).toBe(`run ${started.id}  cli-fetch v1  succeeded`);

    const verify = await baton(['audit', 'verify', started.id], env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^chain valid \(\d+ entries\)$/m);
    expect(JSON.parse((await baton(['--json', 'audit', 'verify', started.id], env)).stdout)).toMatchObject({
      valid: true,
      brokenAt: null,
    });
  });

  it('escalations list and resolve: a rejected approval makes runs watch exit 1 (NDJSON with --json)', async () => {
    const started = JSON.parse((await baton(['--json', 'runs', 'start', 'cli-approval'], env)).stdout);
    const escalation = await stack.openEscalation(started.id);
    const list = await baton(['escalations', 'list', '--run-id', started.id], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(
      `${escalation.id}\tapproval_required\topen\tcli-approval\t${started.id}\tok\tGo on with 7?`,
    );
    const listed = JSON.parse(
      (await baton(['--json', 'escalations', 'list', '--reason', 'approval_required', '--run-id', started.id], env))
        .stdout,
    );
    expect(listed).toEqual([expect.objectContaining({ id: escalation.id, prompt: 'Go on with 7?' })]);

    const resolved = await baton(['escalations', 'resolve', escalation.id, '--action', 'reject', '--note', 'no'], env);
    expect(resolved).toMatchObject({ code: 0, stdout: `${escalation.id}\tresolved\treject\n` });
    const twice = await baton(['escalations', 'resolve', escalation.id, '--action', 'reject'], env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^baton: Conflict/);

    const watch = await baton(['--json', 'runs', 'watch', started.id], env);
    expect(watch.code).toBe(1);
    const frames = watch.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(frames.at(-1)).toMatchObject({ id: started.id, status: 'failed' });
  });

  it('runs watch follows the run live (SSE): it shows the wait, then the approval and the end (exit 0)', async () => {
    const started = JSON.parse((await baton(['--json', 'runs', 'start', 'cli-approval'], env)).stdout);
    const escalation = await stack.openEscalation(started.id);
    await stack.waitForRun(started.id, userToken, ['waiting_for_human']);
    const watching = baton(['--json', 'runs', 'watch', started.id], env);
    await new Promise((r) => setTimeout(r, 700)); // it has its snapshot by now
    expect((await stack.resolve(escalation.id, userToken, { action: 'approve' })).status).toBe(200);
    const watch = await watching;
    expect(watch.code).toBe(0);
    const frames = watch.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(frames[0]).toMatchObject({ id: started.id, status: 'waiting_for_human' });
    expect(frames.at(-1)).toMatchObject({
      status: 'succeeded',
      nodes: [{ status: 'succeeded' }, { status: 'succeeded' }],
    });
  });

  it('audit tail follows GET /v1/audit/stream with filters (NDJSON with --json, one line per entry otherwise)', async () => {
    const auditor = await stack.auth.mintToken('cli-auditor', ['baton:audit:read']);
    const auditorEnv = { ...env, BATON_TOKEN: auditor };
    const tail = spawn(
      process.execPath,
      [CLI, '--json', 'audit', 'tail', '--workflow', 'cli-fetch', '--operation', 'run.succeeded', 'node.succeeded'],
      {
        env: { PATH: process.env.PATH ?? '', ...auditorEnv },
      },
    );
    const text = spawn(process.execPath, [CLI, 'audit', 'tail', '--workflow', 'cli-fetch', '--success', 'true'], {
      env: { PATH: process.env.PATH ?? '', ...auditorEnv },
    });
    let out = '';
    let plain = '';
    tail.stdout.on('data', (c) => (out += c));
    text.stdout.on('data', (c) => (plain += c));
    try {
      await new Promise((r) => setTimeout(r, 700)); // both are connected
      const started = JSON.parse((await baton(['--json', 'runs', 'start', 'cli-fetch'], env)).stdout);
      await stack.waitForRun(started.id, userToken, ['succeeded']);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !out.includes('run.succeeded')) await new Promise((r) => setTimeout(r, 50));
      const entries = out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(entries.map((e) => [e.runId, e.operation])).toEqual([
        [started.id, 'node.succeeded'],
        [started.id, 'run.succeeded'],
      ]);
      expect(plain).toMatch(new RegExp(`run\\.succeeded {2}ok {2}cli-fetch ${started.id} {2}user cli-user`));
      expect(tail.exitCode).toBeNull(); // it keeps following until interrupted
    } finally {
      tail.kill();
      text.kill();
    }
  });

  it('runs cancel prints the cancelled run; cancelling again is refused (exit 1)', async () => {
    const started = JSON.parse((await baton(['--json', 'runs', 'start', 'cli-approval'], env)).stdout);
    await stack.openEscalation(started.id);
    const cancel = await baton(['runs', 'cancel', started.id], env);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout.split('\n')[0]).toBe(`run ${started.id}  cli-approval v2  cancelled`);
    const again = await baton(['runs', 'cancel', started.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^baton: Conflict: /);
  });

  it('exit codes: 2 for usage errors, 1 for API refusals with the problem title and detail, 3 when the API cannot be reached', async () => {
    expect((await baton(['runs', 'frobnicate'], env)).code).toBe(2);
    expect((await baton(['escalations', 'resolve', 'x'], env)).code).toBe(2); // --action is required
    expect((await baton(['escalations', 'resolve', 'x', '--action', 'explode'], env)).code).toBe(2);
    expect((await baton(['runs', 'start', 'cli-fetch', '--input', '[1]'], env)).code).toBe(2);
    expect((await baton(['workflows', 'apply', '-f', join(dir, 'missing.yaml')], env)).code).toBe(2);

    const unknown = await baton(['runs', 'get', '00000000-0000-4000-8000-000000000000'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^baton: Not Found: /);
    const anonymous = await baton(['runs', 'get', '00000000-0000-4000-8000-000000000000'], {
      BATON_URL: stack.api.url,
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/^baton: Unauthorized: /);

    const down = await baton(['runs', 'get', 'x', '--url', 'http://127.0.0.1:1'], env);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^baton: cannot reach the Baton API/);
  });
});
