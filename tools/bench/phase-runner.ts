import type { BenchStack } from './bench-stack.js';
import { cpuUse, type CpuMeter, type CpuUse } from './cpu-meter.js';
import { commandDelta, type RedisCommandCounter } from './redis-command-counter.js';
import { counterDelta, sumCounts, type CounterSnapshot, type StatementCounter } from './statement-counter.js';
import { timingDelta, type StepProfiler, type TimingSnapshot } from './step-profiler.js';
import type { TransactionMeter, TransactionReading } from './transaction-meter.js';
import { NODES_PER_RUN } from './workload.js';

export interface PhaseSpec {
  name: string;
  /** Marks the phase's runs (`input.phase`); unique per phase of a bench run. */
  tag: string;
  /** One line on what the phase measures. */
  description: string;
  workflow: string;
  /** The user token of run i is `tokens[i % tokens.length]`. */
  tokens: string[];
  runs: number;
}

export interface PhaseResult {
  name: string;
  description: string;
  runs: number;
  steps: number;
  /** First run start sent → last run finished (its `finished_at`). */
  seconds: number;
  stepsPerSecond: number;
  /** First run start sent → every start answered. */
  startSeconds: number;
  /** Exchanges the authorization server answered during the phase. */
  exchanges: number;
  transactions: {
    /** `pg_stat_database.xact_commit` difference over the phase, the bench's own transactions taken out. */
    pgStat: number;
    pgStatRollbacks: number;
    /** Autovacuum/autoanalyze runs that finished during the phase (a source of unattributed transactions). */
    autovacuumRuns: number;
    /** Connections opened during the phase. */
    sessionsOpened: number;
    /** Both pg_stat readings agreed with the client-side count (every backend's statistics flushed). */
    settled: boolean;
    /** The bench's own transactions (polling, readings) inside the pg_stat difference. */
    benchOwn: number;
    /** Client-side: in NodeRunner.run (claim, settle; the definition cache's rare read). */
    nodeSteps: number;
    /** Client-side: in RunService.start (the API's part of starting runs). */
    runStarts: number;
    /** Client-side: everything else the apps did (sweeper, health). */
    other: number;
    /** pgStat minus the client-side total: transactions nobody sent a statement for (connection start-up, autovacuum). */
    unattributed: number;
    perStep: number;
    perStepWorker: number;
    perRunStart: number;
  };
  statements: { perStepWorker: number; perRunStart: number };
  redisCommandsPerStep: number;
  redisCommands: Record<string, number>;
  /** Mean milliseconds per step (per run start for run-start), from the step profiler. */
  meanMs: Record<string, number>;
  maxMs: Record<string, number>;
  cpu: CpuUse;
  /** Mean of the pools' `waitingCount`, sampled while the phase ran. */
  meanPoolWaiting: { api: number; worker: number };
  counts: CounterSnapshot;
  timings: TimingSnapshot;
}

export interface PhaseTools {
  stack: BenchStack;
  meter: TransactionMeter;
  counter: StatementCounter;
  profiler: StepProfiler;
  redis: RedisCommandCounter;
  cpu: CpuMeter;
  concurrency: number;
  timeoutMs: number;
}

const POLL_MS = 50;

/**
 * Starts `spec.runs` runs over the API (at most `concurrency` requests in flight), waits for all of
 * them to finish by polling Postgres, and gathers every figure of the phase. `before` is the
 * transaction reading taken just before; the reading after the phase is returned with the result.
 */
export async function runPhase(spec: PhaseSpec, tools: PhaseTools, before: TransactionReading): Promise<{ result: PhaseResult; after: TransactionReading }> {
  const { stack } = tools;
  const timingsBefore = tools.profiler.snapshot();
  const redisBefore = tools.redis.snapshot();
  const exchangesBefore = await stack.tokenRequests();
  const cpuBefore = await tools.cpu.read();

  const started = Date.now();
  let startsDone = 0;
  const starts = startRuns(stack, spec, tools.concurrency).then(() => (startsDone = Date.now()));
  const waiting = { api: 0, worker: 0, samples: 0 };
  let last = { succeeded: 0, stopped: 0, lastFinishedMs: 0 };
  let startError: unknown;
  starts.catch((error) => (startError = error));
  while (Date.now() - started < tools.timeoutMs) {
    await sleep(POLL_MS);
    if (startError) throw startError;
    waiting.api += tools.stack.pools.api.pool.waitingCount;
    waiting.worker += tools.stack.pools.worker.pool.waitingCount;
    waiting.samples++;
    last = await progress(stack, spec.tag);
    if (startsDone && last.succeeded + last.stopped >= spec.runs) break;
  }
  await starts;
  if (last.succeeded + last.stopped < spec.runs) throw new Error(`phase ${spec.name}: only ${last.succeeded + last.stopped} of ${spec.runs} runs finished within ${tools.timeoutMs} ms`);
  if (last.stopped > 0) throw new Error(`phase ${spec.name}: ${last.stopped} runs did not succeed (${await stoppedReasons(stack, spec.tag)})`);
  const cpuAfter = await tools.cpu.read();

  const exchanges = (await stack.tokenRequests()) - exchangesBefore;
  const redisCommands = commandDelta(redisBefore, tools.redis.snapshot());
  const timings = timingDelta(timingsBefore, tools.profiler.snapshot());
  const after = await tools.meter.read();

  const steps = spec.runs * NODES_PER_RUN;
  const seconds = (last.lastFinishedMs - started) / 1000;
  const counts = counterDelta(before.counts, after.counts);
  const bench = sumCounts(counts, (owner, scope) => owner === 'bench' || scope === 'bench');
  // Without the step profiler nothing is scoped: the worker's pool stands for node steps, the API's for run starts.
  const scoped = Object.keys(counts).some((key) => key.endsWith('/step'));
  const nodeSteps = sumCounts(counts, (owner, scope) => owner !== 'bench' && (scoped ? scope === 'step' : owner === 'worker' && scope === 'other'));
  const runStarts = sumCounts(counts, (owner, scope) => owner !== 'bench' && (scoped ? scope === 'run-start' : owner === 'api' && scope === 'other'));
  const other = sumCounts(counts, (owner, scope) => owner !== 'bench' && scoped && scope === 'other');
  const pgStat = after.xactCommit - before.xactCommit - bench.transactions;
  const meanMs: Record<string, number> = {};
  const maxMs: Record<string, number> = {};
  for (const [key, t] of Object.entries(timings)) {
    meanMs[key] = key === 'run-start' ? t.totalMs / t.count : t.totalMs / steps;
    maxMs[key] = t.maxMs;
  }
  const redisTotal = Object.values(redisCommands).reduce((a, b) => a + b, 0);

  return {
    after,
    result: {
      name: spec.name,
      description: spec.description,
      runs: spec.runs,
      steps,
      seconds,
      stepsPerSecond: steps / seconds,
      startSeconds: (startsDone - started) / 1000,
      exchanges,
      transactions: {
        pgStat,
        pgStatRollbacks: after.xactRollback - before.xactRollback,
        autovacuumRuns: after.autovacuum - before.autovacuum,
        sessionsOpened: after.sessions - before.sessions,
        settled: before.settled && after.settled,
        benchOwn: bench.transactions,
        nodeSteps: nodeSteps.transactions,
        runStarts: runStarts.transactions,
        other: other.transactions,
        unattributed: pgStat - nodeSteps.transactions - runStarts.transactions - other.transactions,
        perStep: pgStat / steps,
        perStepWorker: nodeSteps.transactions / steps,
        perRunStart: runStarts.transactions / spec.runs,
      },
      statements: { perStepWorker: nodeSteps.statements / steps, perRunStart: runStarts.statements / spec.runs },
      cpu: cpuUse(cpuBefore, cpuAfter, spec.runs * NODES_PER_RUN),
      redisCommandsPerStep: redisTotal / steps,
      redisCommands,
      meanMs,
      maxMs,
      meanPoolWaiting: { api: waiting.api / Math.max(1, waiting.samples), worker: waiting.worker / Math.max(1, waiting.samples) },
      counts,
      timings,
    },
  };
}

/** Starts one run per index with at most `concurrency` requests in flight; throws on any answer but 202. */
export async function startRuns(stack: BenchStack, spec: PhaseSpec, concurrency: number): Promise<void> {
  let next = 0;
  const url = `${stack.apiUrl}/v1/workflows/${spec.workflow}/runs`;
  const lane = async (): Promise<void> => {
    while (next < spec.runs) {
      const i = next++;
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${spec.tokens[i % spec.tokens.length]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { item: i, phase: spec.tag } }),
      });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`starting run ${i} of ${spec.name} answered ${response.status}: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, spec.runs) }, lane));
}

/** Waits (unmeasured) until every run of the phase tagged `name` has finished. */
export async function waitForPhase(stack: BenchStack, name: string, runs: number, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const p = await progress(stack, name);
    if (p.stopped > 0) throw new Error(`phase ${name}: ${p.stopped} runs did not succeed (${await stoppedReasons(stack, name)})`);
    if (p.succeeded >= runs) return;
    await sleep(POLL_MS);
  }
  throw new Error(`phase ${name}: runs did not finish within ${timeoutMs} ms`);
}

async function progress(stack: BenchStack, phase: string): Promise<{ succeeded: number; stopped: number; lastFinishedMs: number }> {
  const { rows } = await stack.db.query<{ succeeded: number; stopped: number; last_ms: number | null }>(
    `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE status IN ('failed', 'cancelled', 'waiting_for_human'))::int AS stopped,
            (extract(epoch FROM max(finished_at)) * 1000)::float8 AS last_ms
     FROM runs WHERE input->>'phase' = $1`,
    [phase],
  );
  return { succeeded: rows[0]!.succeeded, stopped: rows[0]!.stopped, lastFinishedMs: rows[0]!.last_ms ?? 0 };
}

async function stoppedReasons(stack: BenchStack, phase: string): Promise<string> {
  const { rows } = await stack.db.query<{ status: string; error: unknown; n: number }>(
    `SELECT status, error, count(*)::int AS n FROM runs
     WHERE input->>'phase' = $1 AND status IN ('failed', 'cancelled', 'waiting_for_human') GROUP BY 1, 2 LIMIT 5`,
    [phase],
  );
  return rows.map((r) => `${r.n}× ${r.status} ${JSON.stringify(r.error)}`).join('; ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
