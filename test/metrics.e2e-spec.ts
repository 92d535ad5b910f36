import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { call } from './support/api.js';
import { RunStack } from './support/run-stack.js';
import { definition } from './support/workflows.js';

function promtoolPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
const PROMTOOL = promtoolPath();
if (!PROMTOOL) {
  // Loud, not silent: CI installs it (.ci/run); a developer machine may lack it.
  process.stderr.write(
    '\n*** metrics.e2e-spec: promtool not found (apt-get install -y prometheus): the promtool checks are SKIPPED ***\n\n',
  );
}
const withPromtool = PROMTOOL ? it : it.skip;

/** `promtool check metrics` on a scrape: its complaints, one per line ('' when clean). */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(PROMTOOL!, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('exit', (code) => done({ code, output }));
    child.stdin.end(text);
  });
}

describe('Prometheus metrics', () => {
  let stack: RunStack;
  let workerUrl: string;

  beforeAll(async () => {
    stack = await RunStack.start();
    const { port } = stack.worker!.getHttpServer().address() as AddressInfo;
    workerUrl = `http://127.0.0.1:${port}`;
    stack.resource.on('GET', '/metrics-probe', { status: 200, body: {} });
    await stack.register(
      definition('metrics-flow', [
        {
          id: 'one',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], audience: 'https://a.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/metrics-probe` },
        },
      ]),
    );
    const token = await stack.auth.mintToken('metrics-user', ['items:read']);
    const started = await stack.startRun('metrics-flow', token);
    await stack.waitForRun(started.body.id, token, ['succeeded']);
    await call(`${stack.api.url}/v1/runs/${started.body.id}`, { token });
  });
  afterAll(() => stack?.close());

  it('the api measures request duration by method, route template and status', async () => {
    const text = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(text).toMatch(/# TYPE http_request_duration_seconds histogram/);
    expect(text).toMatch(
      /http_request_duration_seconds_count\{app="api",method="GET",route="\/v1\/runs\/:id",status="200"\} [1-9]/,
    );
    expect(text).not.toMatch(/route="\/v1\/runs\/[0-9a-f]{8}-/); // never the raw path: ids would explode cardinality
  });

  withPromtool('promtool check metrics is clean on the api', async () => {
    const result = await promtoolCheck(await (await fetch(`${stack.api.url}/metrics`)).text());
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  withPromtool('promtool check metrics is clean on the worker', async () => {
    const result = await promtoolCheck(await (await fetch(`${workerUrl}/metrics`)).text());
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
