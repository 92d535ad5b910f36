import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run bench` runs outside the tests, so a schema or API change that breaks it went unseen
 * twice. This runs every phase at a tiny size and checks that each one reported; the figures of so
 * small a run mean nothing and are not looked at.
 */
describe('npm run bench (a tiny smoke run)', () => {
  it('builds, runs every phase and reports every figure', () => {
    const build = spawnSync('npx', ['nest', 'build', 'bench'], { encoding: 'utf8' });
    expect(build.status).toBe(0);
    const resultPath = join(mkdtempSync(join(tmpdir(), 'baton-bench-smoke-')), 'result.json');
    const run = spawnSync(process.execPath, ['dist/tools/bench/run.js'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        BENCH_QUICK: '1',
        BENCH_RUNS: '5',
        BENCH_WARMUP_RUNS: '5',
        BENCH_ALONE_RUNS: '2',
        BENCH_RSS_STEPS: '100',
        BENCH_RAW_JOBS: '100',
        BENCH_LIVE_STREAMS: '2',
        BENCH_SSF_USERS: '4',
        BENCH_SSF_RUNS_PER_USER: '2',
        BENCH_SSF_REVOKED: '2',
        BENCH_FAIRNESS_RUNS: '60',
        BENCH_FAIRNESS_B_RUNS: '5',
        BENCH_PHASE_TIMEOUT_MS: '60000',
        BENCH_EXCHANGES: '5',
        BENCH_AUDIT_ENTRIES: '200000',
        BENCH_AUDIT_ITERATIONS: '3',
        BENCH_RESULT: resultPath,
      },
    });
    expect({ status: run.status, tail: run.status === 0 ? '' : `${run.stdout}\n${run.stderr}`.slice(-3000) }).toEqual({
      status: 0,
      tail: '',
    });
    const result = JSON.parse(readFileSync(resultPath, 'utf8'));
    const figures = result.rows.map((row: { figure: string }) => row.figure).join('\n');
    for (const figure of [
      '÷ floor',
      'round trips per warm step',
      'step gap',
      'worker RSS',
      'live events',
      'sub-workflow overhead per child run',
      'SET accepted (202) → run paused',
      'arriving > 1 s after the 202',
      "tenant B's first node, ready (run.started) → node.started",
      "tenant A's nodes in flight at once",
    ])
      expect(figures).toContain(figure);
    expect(result.live.events).toBeGreaterThan(0);
    // the throughput rounds (two in quick mode), each with both pipelines' steps/s
    expect(result.rounds).toHaveLength(2);
    for (const round of result.rounds) expect(Math.min(round.baton, round.floor)).toBeGreaterThan(0);
    expect(result.ssf.affected).toBeGreaterThan(0);
    // every one of tenant B's runs had its first node started, and A's downstream saw calls
    expect(result.fairness.first.count).toBe(5);
    expect(result.fairness.floodMaxInFlight).toBeGreaterThan(0);
    // every delegating run had its child, and the profile phase found the worker's own code
    expect(result.subWorkflow.children).toBe(result.subWorkflow.runs);
    expect(result.profile.worker.components.map((c: { name: string }) => c.name)).toContain('baton libs/workflow');
    expect(run.stdout).toContain('Cold token exchange per vendor strategy'); // the exchange bench ran
    expect(run.stdout).toContain('bench-audit'); // and the audit bench
  }, 300_000);
});
