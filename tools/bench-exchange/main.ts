import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DEFAULT_TENANT, loadConfig, tenantConfig } from '../../libs/platform/src/index.js';
import { TokenExchanger } from '../../libs/oauth/src/public-api.js';
import { BENCH_CASES, BENCH_SECRET_ENVS, type BenchCase, type FixtureMessage } from './vendor-cases.js';

/**
 * The cold-exchange bench (issue 11): Baton's CPU and wall time per exchange that misses the
 * cache, for each vendor strategy, against the vendor-shaped test servers (in a forked process,
 * so their CPU is theirs). Each exchange presents a new user's token, so every one is a real
 * round trip to the authorization server; discovery and client setup are warmed first (they
 * happen once per profile and process). The cases take turns, one exchange each, and each
 * exchange is timed alone; the figure per case is the median.
 * Target: each vendor's CPU per exchange ≤ generic × 1.1.
 */
const quick = process.env.BENCH_QUICK === '1';
const exchangesPerVendor = Number(process.env.BENCH_EXCHANGES ?? (quick ? 20 : 200));
const TARGET_RATIO = 1.1;
const log = (line: string) => process.stderr.write(`bench-exchange: ${line}\n`);

const here = dirname(fileURLToPath(import.meta.url));
const child = fork(join(here, 'fixtures.js'), [], {
  env: { ...process.env, BENCH_EXCHANGES: String(exchangesPerVendor) },
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const dir = mkdtempSync(join(tmpdir(), 'baton-bench-exchange-'));
try {
  const message = await new Promise<FixtureMessage>((resolve, reject) => {
    child.once('message', (m) => resolve(m as FixtureMessage));
    child.once('exit', (code) => reject(new Error(`the fixtures process exited (${code}) before it was ready`)));
  });
  const configPath = join(dir, 'baton.yaml');
  writeFileSync(
    configPath,
    stringify({
      api: { audience: 'baton-api' },
      trustedIssuers: [{ issuer: message.fixtures.generic.issuer }],
      exchangeProfiles: Object.fromEntries(
        BENCH_CASES.map((c) => [c.name, { expirySkewSeconds: 5, ...c.profile(message.fixtures[c.fixture]) }]),
      ),
      http: { allowedHosts: ['127.0.0.1'] },
    }),
  );
  const config = loadConfig({
    BATON_CONFIG: configPath,
    BATON_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    [BENCH_SECRET_ENVS.secret]: message.clientSecret,
    [BENCH_SECRET_ENVS.key]: message.privateKey,
    [BENCH_SECRET_ENVS.certificate]: message.certificate,
  });
  const exchanger = new TokenExchanger({
    profiles: tenantConfig(config, DEFAULT_TENANT).exchangeProfiles,
    httpTimeoutSeconds: 10,
  });

  // Token i of a fixture is presented once per case; the warm-up takes the last one.
  const tokensOf = (c: BenchCase) => message.fixtures[c.fixture].tokens;
  const exchange = (c: BenchCase, subjectToken: string) =>
    exchanger.exchange({
      profile: c.name,
      subjectToken,
      audience: c.audience,
      scopes: c.scopes,
      requiredScopes: c.scopes,
    });
  for (const c of BENCH_CASES) {
    const result = await exchange(c, tokensOf(c).at(-1)!);
    if (result.cached) throw new Error(`${c.name}: the warm-up exchange came from the cache`);
  }
  log(`${BENCH_CASES.length} cases warmed; ${exchangesPerVendor} exchanges each, interleaved`);

  // One exchange of each case in turn, each timed on its own: GC pauses and other processes' load
  // fall on every case alike, and the median of single exchanges ignores the rare slow one.
  const cpu: Record<string, number[]> = {};
  const wall: Record<string, number[]> = {};
  for (let i = 0; i < exchangesPerVendor; i++) {
    for (const c of BENCH_CASES) {
      const cpuStart = process.cpuUsage();
      const wallStart = performance.now();
      const result = await exchange(c, tokensOf(c)[i]!);
      const elapsed = performance.now() - wallStart;
      const used = process.cpuUsage(cpuStart);
      if (result.cached) throw new Error(`${c.name}: an exchange came from the cache`);
      (cpu[c.name] ??= []).push((used.user + used.system) / 1000);
      (wall[c.name] ??= []).push(elapsed);
    }
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const genericCpu = median(cpu.generic!);
  const lines = [
    '',
    `Cold token exchange per vendor strategy (Baton's process; ${exchangesPerVendor} exchanges each, medians of single exchanges, cases interleaved)${quick ? ' — QUICK: not meaningful' : ''}`,
    '| profile | CPU ms/exchange | wall ms/exchange | ÷ generic CPU | target ≤ 1.10 |',
    '|---|---|---|---|---|',
  ];
  let missed = 0;
  for (const c of BENCH_CASES) {
    const ratio = median(cpu[c.name]!) / genericCpu;
    const verdict =
      c.name === 'generic' ? '(reference)' : c.compared ? (ratio <= TARGET_RATIO ? 'PASS' : 'MISS') : '(information)';
    if (verdict === 'MISS') missed++;
    lines.push(
      `| ${c.name} | ${median(cpu[c.name]!).toFixed(3)} | ${median(wall[c.name]!).toFixed(2)} | ${ratio.toFixed(2)} | ${verdict} |`,
    );
  }
  process.stdout.write(
    `${lines.join('\n')}\n${missed ? `${missed} vendor(s) above generic × ${TARGET_RATIO}` : 'every vendor strategy within generic × 1.10'}\n`,
  );
} finally {
  if (child.connected) child.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
