import 'reflect-metadata';
import { cpus, platform, release } from 'node:os';
import { dirname } from 'node:path';
import { benchOptions } from './bench-options.js';
import { PhaseCpuProfiler } from './cpu-profile.js';
import { CpuMeter } from './cpu-meter.js';
import { BenchStack } from './bench-stack.js';
import { applyExperiments } from './experiments.js';
import { phaseCatalog, selectPhases } from './phase-catalog.js';
import { runPhase, startRuns, waitForPhase, type PhaseResult, type PhaseSpec, type PhaseTools } from './phase-runner.js';
import { measureRawBullmq } from './raw-bullmq.js';
import { RedisCommandCounter } from './redis-command-counter.js';
import { evaluateTargets, methodNotes, printReport, writeResult, type BenchResult } from './report.js';
import { StatementCounter } from './statement-counter.js';
import { StepProfiler } from './step-profiler.js';
import { TransactionMeter } from './transaction-meter.js';
import { BENCH_SCOPE, NODES_PER_RUN, Workflow, sequentialHttpWorkflow } from './workload.js';

/**
 * `npm run bench`: end-to-end node steps per second of 5-node http runs with warm and cold token
 * caches, against raw BullMQ in the same process, and Postgres transactions per step.
 */
const MINT_CONCURRENCY = 20;

const options = benchOptions();
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

// Instruments go in before the apps exist: they wrap prototypes the apps' instances will use.
const counter = StatementCounter.install();
const redisCommands = RedisCommandCounter.install();
const profiler = new StepProfiler(counter);
if (options.stepProfile !== 'off') profiler.install({ timings: options.stepProfile === 'timings' });

let stack: BenchStack | undefined;
let exitCode = 0;
try {
  log(`starting the stack (runs=${options.runs}, concurrency=${options.concurrency})`);
  stack = await BenchStack.start(options);
  counter.tagPool(stack.pools.api.pool, 'api');
  counter.tagPool(stack.pools.worker.pool, 'worker');
  if (options.stepProfile === 'timings') {
    profiler.profilePool(stack.pools.api.pool, 'api');
    profiler.profilePool(stack.pools.worker.pool, 'worker');
  }
  const experiments = applyExperiments(stack, options.experiment);
  if (experiments.length > 0) log(`EXPERIMENT (not the shipped configuration): ${experiments.join(', ')}`);

  await stack.register(sequentialHttpWorkflow(Workflow.SameAudience, stack.resource.url, () => 'https://bench.example.com'));
  await stack.register(sequentialHttpWorkflow(Workflow.DistinctAudiences, stack.resource.url, (i) => `https://bench-${i + 1}.example.com`));

  log('minting user tokens');
  const s = stack;
  const warmToken = await s.mintToken('bench-warm-user', [BENCH_SCOPE]);
  const coldTokens = await mintMany(options.runs, (i) => s.mintToken(`bench-cold-user-${i}`, [BENCH_SCOPE]));
  const distinctTokens = await mintMany(options.runs, (i) => s.mintToken(`bench-distinct-user-${i}`, [BENCH_SCOPE]));

  log(`raw BullMQ: ${options.rawJobs} empty jobs, concurrency ${options.rawConcurrency}`);
  const rawOptions = { redisUrl: options.redisUrl, prefix: stack.queuePrefix, jobs: options.rawJobs, concurrency: options.rawConcurrency, chainLength: NODES_PER_RUN };
  const raw = await measureRawBullmq('bulk', rawOptions);
  const rawChained = await measureRawBullmq('chained', rawOptions);

  // Unmeasured: JIT, connection pools, JWKS and discovery caches, the definition caches, and the
  // warm user's exchanged token (both workflows' audiences).
  log('warming up');
  for (const workflow of [Workflow.SameAudience, Workflow.DistinctAudiences]) {
    const warmup: PhaseSpec = { name: `warmup-${workflow}`, tag: `warmup-${workflow}`, description: 'warm-up', workflow, tokens: [warmToken], runs: options.warmupRuns };
    await startRuns(stack, warmup, options.concurrency);
    await waitForPhase(stack, warmup.tag, warmup.runs, options.phaseTimeoutMs);
  }

  const meter = new TransactionMeter(stack.db, [stack.pools.api, stack.pools.worker], counter);
  const tools: PhaseTools = { stack, meter, counter, profiler, redis: redisCommands, cpu: new CpuMeter(stack.db), concurrency: options.concurrency, timeoutMs: options.phaseTimeoutMs };
  const specs = selectPhases(options.phases, phaseCatalog(options.runs, { warm: warmToken, cold: coldTokens, coldEveryNode: distinctTokens }));
  const phases: PhaseResult[] = [];
  for (const spec of specs) {
    log(`phase ${spec.name}`);
    // Every phase starts from the same kind of database: earlier runs' dead rows vacuumed and
    // statistics fresh, the steady state autovacuum keeps (without it the first phase after the
    // warm-up paid for the warm-up's churn, ~15 % slower). Outside the measured interval.
    await stack.db.query('VACUUM (ANALYZE) runs, node_runs, audit_entries');
    const reading = await meter.read();
    const cpuProfiler = options.cpuProfile ? new PhaseCpuProfiler(dirname(options.resultPath)) : undefined;
    await cpuProfiler?.start();
    const { result } = await runPhase(spec, tools, reading);
    if (cpuProfiler) log(`  CPU profile: ${await cpuProfiler.stop(spec.name)}`);
    phases.push(result);
    log(`  ${result.stepsPerSecond.toFixed(1)} steps/s, ${result.transactions.perStep.toFixed(2)} tx/step`);
  }

  const withRatio = phases.map((p) => ({ ...p, percentOfRaw: (100 * p.stepsPerSecond) / raw.jobsPerSecond }));
  const cpu = cpus();
  const result: BenchResult = {
    at: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? '?',
      platform: `${platform()} ${release()}`,
      postgres: stack.serverVersions.postgres,
      redis: stack.serverVersions.redis,
    },
    settings: {
      runs: options.runs,
      nodesPerRun: NODES_PER_RUN,
      startConcurrency: options.concurrency,
      rawJobs: options.rawJobs,
      rawConcurrency: options.rawConcurrency,
      logLevel: options.logLevel,
      stepProfile: options.stepProfile,
      ...(options.cpuProfile ? { cpuProfile: 'on (figures slowed by profiling)' } : {}),
      ...(experiments.length > 0 ? { experiment: experiments.join(' ') } : {}),
    },
    raw,
    rawChained,
    phases: withRatio,
    targets: evaluateTargets(withRatio.find((p) => p.name === 'warm')),
    method: methodNotes(options),
  };
  printReport(result);
  writeResult(options.resultPath, result);
  log(`result written to ${options.resultPath}`);
} catch (error) {
  exitCode = 1;
  process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  const problems = (await stack?.close()) ?? [];
  for (const p of problems) process.stderr.write(`bench: could not close ${p}\n`);
  if (problems.length > 0) exitCode = 1;
}
process.exitCode = exitCode;
// Everything is closed; if something still holds the event loop, say what and leave anyway.
setTimeout(() => {
  process.stderr.write(`bench: still open after close: ${process.getActiveResourcesInfo().join(', ')}\n`);
  process.exit(exitCode);
}, 10_000).unref();

async function mintMany(count: number, mint: (i: number) => Promise<string>): Promise<string[]> {
  const tokens = new Array<string>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      tokens[i] = await mint(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MINT_CONCURRENCY, count) }, lane));
  return tokens;
}
