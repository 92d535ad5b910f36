import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CONCURRENCY_LIMIT } from '../libs/workflow/src/index.js';
import { call } from './support/api.js';
import { REPO_ROOT } from './support/processes.js';
import { RunStack } from './support/run-stack.js';
import { eventually } from './support/waiting.js';
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

/** The value of the series `name` whose labels include `labels` in a scrape (0 when there is none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) total += Number(match[3]);
  }
  return total;
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Scrapes until the series reaches `expected` (scrape-time collection may lag one scrape), then returns it. */
async function settledSample(url: string, name: string, labels: Record<string, string>, expected: number) {
  const text = await eventually(
    () => scrape(url),
    (t) => sample(t, name, labels) >= expected,
    10000,
    200,
  );
  return sample(text, name, labels);
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
]);

/** The metric names a PromQL expression reads, and the labels it groups by. */
function promqlReferences(expr: string): { metrics: string[]; groupLabels: string[] } {
  // Grafana's variable query `label_values(metric, label)`.
  const labelValues = /^label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)$/.exec(expr);
  if (labelValues) return { metrics: [labelValues[1]!], groupLabels: [labelValues[2]!] };
  const groupLabels = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!.split(',').map((l) => l.trim()),
  );
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, ' ') // grouping
    .replace(/"[^"]*"/g, ' ');
  // An identifier followed by `(` is a function; the rest are metric names.
  const metrics = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(bare.slice(m.index + m[0].length)))
    .map((m) => m[0])
    .filter((name) => !PROMQL_WORDS.has(name));
  return { metrics, groupLabels };
}

/** Every metric a scrape declares (`# TYPE`, histograms with their series names) → the label names seen on it. */
function seriesOf(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (declared) {
      const suffixes = declared[2] === 'histogram' ? ['_bucket', '_count', '_sum'] : [''];
      for (const suffix of suffixes) series.set(declared[1] + suffix, series.get(declared[1] + suffix) ?? new Set());
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!match) continue;
    const labels = series.get(match[1]!) ?? new Set<string>();
    for (const m of (match[2] ?? '').matchAll(/(\w+)="/g)) labels.add(m[1]!);
    series.set(match[1]!, labels);
  }
  return series;
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

  it('counts a run that succeeds: started (api), finished, node duration, exchange latency, queue wait (worker)', async () => {
    const api = await scrape(stack.api.url);
    expect(sample(api, 'baton_runs_started_total', { workflow: 'metrics-flow' })).toBe(1);
    const flow = { workflow: 'metrics-flow', status: 'succeeded' };
    expect(await settledSample(workerUrl, 'baton_runs_finished_total', flow, 1)).toBe(1);
    const worker = await scrape(workerUrl);
    expect(sample(worker, 'baton_runs_finished_total', flow)).toBe(1);
    expect(sample(worker, 'baton_runs_finished_total', { workflow: 'metrics-flow', status: 'failed' })).toBe(0);
    expect(sample(worker, 'baton_node_duration_seconds_count', { type: 'http', outcome: 'succeeded' })).toBe(1);
    expect(sample(worker, 'baton_token_exchange_duration_seconds_count', { result: 'success' })).toBe(1);
    expect(sample(worker, 'baton_token_exchange_duration_seconds_count', { result: 'failure' })).toBe(0);
    expect(sample(worker, 'baton_token_exchange_failures_total')).toBe(0);
    // The run's only node went through the queue once.
    expect(sample(worker, 'baton_queue_wait_seconds_count', { queue: 'nodes' })).toBe(1);
    // The adaptive node-job limit (NodeConcurrency): within its bounds, starting at the minimum.
    expect(sample(worker, 'baton_worker_node_concurrency')).toBeGreaterThanOrEqual(DEFAULT_CONCURRENCY_LIMIT.min);
    expect(sample(worker, 'baton_worker_node_concurrency')).toBeLessThanOrEqual(DEFAULT_CONCURRENCY_LIMIT.max);
    // The api finished nothing itself; the worker started nothing.
    expect(sample(api, 'baton_runs_finished_total')).toBe(0);
    expect(sample(worker, 'baton_runs_started_total')).toBe(0);
  });

  it('counts an exchange refused with invalid_grant by class and error, its escalation opened, open, then resolved', async () => {
    await stack.register(
      definition('metrics-revoked', [
        {
          id: 'one',
          type: 'http',
          oauth: { requiredScopes: ['items:read'], audience: 'https://a.example.com' },
          request: { method: 'GET', url: `${stack.resource.url}/metrics-probe` },
        },
      ]),
    );
    const before = await scrape(workerUrl);
    const token = await stack.auth.mintToken('metrics-revoked-user', ['items:read']);
    await stack.auth.revoke('metrics-revoked-user');
    const started = await stack.startRun('metrics-revoked', token);
    const escalation = await stack.openEscalation(started.body.id);
    expect(escalation.reason).toBe('token_revoked');

    const after = await scrape(workerUrl);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('baton_token_exchange_failures_total', { class: 'revoked', error: 'invalid_grant' })).toBe(1);
    expect(delta('baton_token_exchange_failures_total')).toBe(1);
    expect(delta('baton_token_exchange_duration_seconds_count', { result: 'failure' })).toBe(1);
    expect(delta('baton_escalations_opened_total', { reason: 'token_revoked' })).toBe(1);
    expect(delta('baton_escalations_opened_total')).toBe(1);
    expect(delta('baton_node_duration_seconds_count', { type: 'http', outcome: 'escalate' })).toBe(1);
    expect(await settledSample(stack.api.url, 'baton_escalations_open', { reason: 'token_revoked' }, 1)).toBe(1);

    expect((await stack.resolve(escalation.id, token, { action: 'abort' })).status).toBe(200);
    const failed = { workflow: 'metrics-revoked', status: 'failed' };
    expect(await settledSample(stack.api.url, 'baton_runs_finished_total', failed, 1)).toBe(1);
    const api = await eventually(
      () => scrape(stack.api.url),
      (t) => sample(t, 'baton_escalations_open', { reason: 'token_revoked' }) === 0,
    );
    expect(sample(api, 'baton_escalations_open', { reason: 'token_revoked' })).toBe(0);
    expect(sample(api, 'baton_escalations_resolved_total', { reason: 'token_revoked', action: 'abort' })).toBe(1);
    expect(sample(api, 'baton_escalations_resolved_total')).toBe(1);
    expect(sample(api, 'baton_runs_finished_total', failed)).toBe(1);
    expect(sample(await scrape(workerUrl), 'baton_runs_finished_total', { workflow: 'metrics-revoked' })).toBe(0);
  });

  it('counts an approval: opened (worker), open now and approved (api), the run finished once by the approval', async () => {
    await stack.register(
      definition('metrics-approval', [{ id: 'ask', type: 'approval', approval: { prompt: 'ok?' } }]),
    );
    const before = await scrape(workerUrl);
    const token = await stack.auth.mintToken('metrics-approver', ['items:read']);
    const started = await stack.startRun('metrics-approval', token);
    const escalation = await stack.openEscalation(started.body.id);
    const after = await scrape(workerUrl);
    expect(
      sample(after, 'baton_escalations_opened_total', { reason: 'approval_required' }) -
        sample(before, 'baton_escalations_opened_total', { reason: 'approval_required' }),
    ).toBe(1);
    expect(
      sample(after, 'baton_node_duration_seconds_count', { type: 'approval', outcome: 'escalate' }) -
        sample(before, 'baton_node_duration_seconds_count', { type: 'approval', outcome: 'escalate' }),
    ).toBe(1);
    expect(await settledSample(stack.api.url, 'baton_escalations_open', { reason: 'approval_required' }, 1)).toBe(1);

    expect((await stack.resolve(escalation.id, token, { action: 'approve' })).status).toBe(200);
    expect((await stack.waitForRun(started.body.id, token, ['succeeded', 'failed'])).status).toBe('succeeded');
    const succeeded = { workflow: 'metrics-approval', status: 'succeeded' };
    expect(await settledSample(stack.api.url, 'baton_runs_finished_total', succeeded, 1)).toBe(1);
    const api = await scrape(stack.api.url);
    expect(sample(api, 'baton_runs_started_total', { workflow: 'metrics-approval' })).toBe(1);
    expect(sample(api, 'baton_escalations_resolved_total', { reason: 'approval_required', action: 'approve' })).toBe(1);
    expect(sample(await scrape(workerUrl), 'baton_runs_finished_total', { workflow: 'metrics-approval' })).toBe(0);
  });

  it('counts a cancelled run where it was cancelled', async () => {
    const token = await stack.auth.mintToken('metrics-canceller', ['items:read']);
    const started = await stack.startRun('metrics-approval', token);
    await stack.openEscalation(started.body.id);
    expect((await call(`${stack.api.url}/v1/runs/${started.body.id}/cancel`, { token, body: {} })).status).toBe(200);
    const api = await scrape(stack.api.url);
    expect(sample(api, 'baton_runs_finished_total', { workflow: 'metrics-approval', status: 'cancelled' })).toBe(1);
    expect(sample(api, 'baton_runs_started_total', { workflow: 'metrics-approval' })).toBe(2);
  });

  it('exposes queue depth by queue and state, and no label value is an id', async () => {
    const api = await eventually(
      () => scrape(stack.api.url),
      (t) => sample(t, 'baton_queue_jobs', { queue: 'nodes' }) === 0,
    );
    for (const queue of ['nodes', 'notifications'])
      for (const state of ['waiting', 'prioritized', 'active', 'delayed'])
        expect(api).toMatch(
          new RegExp(`^baton_queue_jobs\\{[^}]*queue="${queue}",state="${state}"[^}]*\\} \\d+$`, 'm'),
        );
    const worker = await scrape(workerUrl);
    for (const text of [api, worker]) expect(text).not.toMatch(/="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
  });

  it('the Grafana dashboard queries only metrics and labels the api or the worker exposes', async () => {
    const dashboard = JSON.parse(readFileSync(`${REPO_ROOT}/examples/grafana/baton-dashboard.json`, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { query?: { query?: string } }[] };
    };
    const exposed = seriesOf(`${await scrape(stack.api.url)}\n${await scrape(workerUrl)}`);
    const exprs = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (v.query?.query ? [v.query.query] : [])),
    ];
    const panelTitles = dashboard.panels.map((p) => p.title).join(' | ');
    for (const wanted of [
      'Runs finished',
      'Node duration',
      'exchange latency',
      'exchange failures',
      'Open escalations',
      'Queue depth',
      'Queue wait',
      'API request duration',
    ])
      expect(panelTitles).toContain(wanted);
    const used = new Set<string>();
    for (const expr of exprs) {
      const { metrics, groupLabels } = promqlReferences(expr);
      expect(metrics.length).toBeGreaterThan(0);
      for (const metric of metrics) {
        used.add(metric);
        expect({ expr, metric, exposed: exposed.has(metric) }).toEqual({ expr, metric, exposed: true });
        // Labels are checked where the scrape has series (the tests above made every one of them move).
        if (exposed.get(metric)!.size === 0) continue;
        for (const label of groupLabels.filter((l) => l !== 'le' || metric.endsWith('_bucket')))
          expect({ expr, metric, label, present: exposed.get(metric)!.has(label) }).toEqual({
            expr,
            metric,
            label,
            present: true,
          });
      }
    }
    // The parser is not vacuous: the dashboard reads the engine's metrics and the api's.
    expect([...used]).toEqual(
      expect.arrayContaining([
        'baton_runs_finished_total',
        'baton_node_duration_seconds_bucket',
        'baton_token_exchange_failures_total',
        'baton_escalations_open',
        'baton_queue_jobs',
        'baton_queue_wait_seconds_bucket',
        'http_request_duration_seconds_bucket',
      ]),
    );
  });

  withPromtool('every dashboard query is valid PromQL (promtool check rules)', async () => {
    const dashboard = JSON.parse(readFileSync(`${REPO_ROOT}/examples/grafana/baton-dashboard.json`, 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const rules = dashboard.panels.flatMap((p, i) =>
      p.targets.map((t, j) => ({
        record: `dashboard:panel${i}:${j}`,
        expr: t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$workflow', '.*'),
      })),
    );
    const dir = mkdtempSync(join(tmpdir(), 'baton-dashboard-'));
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    const output = execFileSync(PROMTOOL!, ['check', 'rules', file], { encoding: 'utf8' });
    expect(output).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
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
