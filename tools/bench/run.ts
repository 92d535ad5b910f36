import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from './child-process.js';

/**
 * `npm run bench [-- --quick]`: the engine bench (main.js), the cold-exchange bench per vendor
 * (bench-exchange), then the audit-trail bench.
 * `--quick` (or BENCH_QUICK=1) makes both small: a smoke run whose figures mean nothing.
 */
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...(quick && {
    BENCH_QUICK: '1',
    BENCH_AUDIT_ENTRIES: process.env.BENCH_AUDIT_ENTRIES || '200000',
    BENCH_AUDIT_ITERATIONS: process.env.BENCH_AUDIT_ITERATIONS || '50',
  }),
};
let status = 0;
for (const script of [
  'dist/tools/bench/main.js',
  'dist/tools/bench-exchange/main.js',
  'dist/tools/bench-audit/main.js',
]) {
  const run = spawnSync(process.execPath, [resolve(REPO_ROOT, script)], { cwd: REPO_ROOT, env, stdio: 'inherit' });
  if (run.status !== 0) {
    status = run.status ?? 1;
    break;
  }
}
process.exit(status);
