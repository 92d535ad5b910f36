/** What one `npm run bench` does, from the environment (all optional). */
export interface BenchOptions {
  /** Runs per measured phase (`BENCH_RUNS`, default 200). */
  runs: number;
  /** Unmeasured runs of each workflow first (`BENCH_WARMUP_RUNS`, default: as many as a phase has). */
  warmupRuns: number;
  /** Run starts in flight at once (`BENCH_CONCURRENCY`, default 50). */
  concurrency: number;
  /** Empty jobs for the raw BullMQ ceiling (`BENCH_RAW_JOBS`, default 5000). */
  rawJobs: number;
  /** Worker concurrency of the raw BullMQ ceiling; the node processor's (32) by default (`BENCH_RAW_CONCURRENCY`). */
  rawConcurrency: number;
  /** Level of the Baton apps' logs (`BENCH_LOG_LEVEL`, default warn: request logs would drown the table). */
  logLevel: string;
  /** Postgres server to create the bench database on (`DATABASE_URL`; its database name is ignored). */
  databaseUrl: string;
  redisUrl: string;
  /** Where the JSON result goes (`BENCH_RESULT`, default dist/bench-result.json). */
  resultPath: string;
  /** Give up on a phase after this long (`BENCH_PHASE_TIMEOUT_MS`, default 90 s). */
  phaseTimeoutMs: number;
  /** Measured phases, in order (`BENCH_PHASES`, default `warm,cold,cold-every-node`). */
  phases: string[];
  /** Write a V8 CPU profile of each measured phase (`BENCH_CPU_PROFILE=1`). */
  cpuProfile: boolean;
  /**
   * `BENCH_STEP_PROFILE`: `scopes` (default) attributes Postgres work to node steps and run starts
   * (AsyncLocalStorage); `timings` also times each part of a step (slows the process, ~15 %); `off`
   * does neither (the worker's figure is then its whole pool's, sweeper included).
   */
  stepProfile: 'off' | 'scopes' | 'timings';
  /** Experiments, off by default: change the running worker to see what a setting is worth. */
  experiment: {
    /** Connections the worker's pool may open (`BENCH_WORKER_POOL_MAX`; shipped: 10). */
    workerPoolMax?: number;
    /** The node processor's BullMQ concurrency (`BENCH_NODE_CONCURRENCY`; shipped: 32). */
    nodeConcurrency?: number;
  };
}

export function benchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  return {
    runs: positiveInteger(env, 'BENCH_RUNS', 200),
    concurrency: positiveInteger(env, 'BENCH_CONCURRENCY', 50),
    warmupRuns: positiveInteger(env, 'BENCH_WARMUP_RUNS', positiveInteger(env, 'BENCH_RUNS', 200)),
    rawJobs: positiveInteger(env, 'BENCH_RAW_JOBS', 5000),
    rawConcurrency: positiveInteger(env, 'BENCH_RAW_CONCURRENCY', 32),
    logLevel: env.BENCH_LOG_LEVEL || 'warn',
    databaseUrl: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    resultPath: env.BENCH_RESULT || 'dist/bench-result.json',
    phaseTimeoutMs: positiveInteger(env, 'BENCH_PHASE_TIMEOUT_MS', 90_000),
    phases: (env.BENCH_PHASES || 'warm,cold,cold-every-node').split(',').map((p) => p.trim()).filter(Boolean),
    cpuProfile: env.BENCH_CPU_PROFILE === '1' || env.BENCH_CPU_PROFILE === 'true',
    stepProfile: oneOf(env, 'BENCH_STEP_PROFILE', ['scopes', 'timings', 'off'] as const),
    experiment: {
      workerPoolMax: optionalPositiveInteger(env, 'BENCH_WORKER_POOL_MAX'),
      nodeConcurrency: optionalPositiveInteger(env, 'BENCH_NODE_CONCURRENCY'),
    },
  };
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly [T, ...T[]]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return values[0];
  if (!(values as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${values.join(', ')}`);
  return raw as T;
}

function optionalPositiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  return env[name] === undefined || env[name] === '' ? undefined : positiveInteger(env, name, 1);
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer`);
  return Number(raw);
}
