/** What one `npm run bench` does, from the environment (all optional) and `--quick`. */
export interface BenchOptions {
  /** `BENCH_QUICK=1` or `--quick`: a small smoke run of every phase (figures meaningless). */
  quick: boolean;
  /** Runs of the throughput phases (Baton, the floor, api alone) (`BENCH_RUNS`, default 200; quick 20). */
  runs: number;
  /** Run starts in flight at once (`BENCH_CONCURRENCY`, default 20: the "20 starts at a time"). */
  concurrency: number;
  /**
   * Throughput rounds (`BENCH_ROUNDS`, default 5; quick 2): Baton and the floor back to back,
   * alternating which goes first; the steps/s ratio is the median of the rounds'.
   */
  throughputRounds: number;
  /** Unmeasured load after the one-run-alone phase, before the measured ones (`BENCH_SUSTAIN_SECONDS`, default 15; quick 1). */
  sustainSeconds: number;
  /** Unmeasured runs first (`BENCH_WARMUP_RUNS`, default as many as `runs`). */
  warmupRuns: number;
  /** Runs of the "one run alone" gap phase, one after another (`BENCH_ALONE_RUNS`, default 50; quick 5). */
  aloneRuns: number;
  /** Node steps of the RSS phase (`BENCH_RSS_STEPS`, default 100,000; quick 2,000). */
  rssSteps: number;
  /** Empty jobs for the raw BullMQ figure (`BENCH_RAW_JOBS`, default 5000; quick 1000). */
  rawJobs: number;
  /** Worker concurrency of the raw BullMQ figure (`BENCH_RAW_CONCURRENCY`, default 10). */
  rawConcurrency: number;
  /** BullMQ concurrency of the floor pipeline's worker (`BENCH_FLOOR_CONCURRENCY`, default 32 = Baton's node processor). */
  floorConcurrency: number;
  /** Audit streams connected during the live-events phase (`BENCH_LIVE_STREAMS`, default 100; quick 10). */
  liveStreams: number;
  /**
   * `BENCH_ONLY=ssf`: the stack, the warm-up and the revocation phase alone (the other phases skipped);
   * `BENCH_ONLY=fairness`: the tenant fairness phase alone, on its own two-tenant stack.
   */
  only: BenchPhase | null;
  /** Revocation phase: users whose runs are in flight (`BENCH_SSF_USERS`, default 100; quick 10). */
  ssfUsers: number;
  /** Revocation phase: runs per user (`BENCH_SSF_RUNS_PER_USER`, default 10; quick 5). */
  ssfRunsPerUser: number;
  /** Revocation phase: users revoked, one SET each (`BENCH_SSF_REVOKED`, default 10; quick 3). */
  ssfRevokedUsers: number;
  /** Revocation phase: sequential http steps per run (`BENCH_SSF_STEPS`, default 10; quick 5). */
  ssfSteps: number;
  /** Revocation phase: how long the downstream takes to answer each step, ms (`BENCH_SSF_DOWNSTREAM_MS`, default 200). */
  ssfDownstreamMs: number;
  /** Fairness phase: runs tenant A starts at once, its flood (`BENCH_FAIRNESS_RUNS`, default 1000; quick 60). */
  fairnessRuns: number;
  /** Fairness phase: tenant A's `maxConcurrentNodes` (`BENCH_FAIRNESS_LIMIT`, default 20); tenant B has none. */
  fairnessLimit: number;
  /** Fairness phase: runs tenant B starts one at a time during A's flood (`BENCH_FAIRNESS_B_RUNS`, default 40; quick 5). */
  fairnessQuietRuns: number;
  /** Fairness phase: how long the downstream takes to answer each step, ms (`BENCH_FAIRNESS_DOWNSTREAM_MS`, default 30). */
  fairnessDownstreamMs: number;
  /** `BENCH_FAIRNESS_UNLIMITED=1`: the fairness phase once more with tenant A unlimited, for reference. */
  fairnessUnlimited: boolean;
  /** Level of the Baton apps' logs (`BENCH_LOG_LEVEL`, default warn: the shipped hot path logs nothing at info either). */
  logLevel: string;
  /** Postgres server to create the bench database on (`DATABASE_URL`; its database name is ignored). */
  databaseUrl: string;
  redisUrl: string;
  /** Where the JSON result goes (`BENCH_RESULT`, default dist/bench-result.json). */
  resultPath: string;
  /** Give up on a phase after this long (`BENCH_PHASE_TIMEOUT_MS`, default 120 s; the RSS phase gets 10× that). */
  phaseTimeoutMs: number;
}

export function benchOptions(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): BenchOptions {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const runs = positiveInteger(env, 'BENCH_RUNS', quick ? 20 : 200);
  return {
    quick,
    runs,
    concurrency: positiveInteger(env, 'BENCH_CONCURRENCY', 20),
    throughputRounds: positiveInteger(env, 'BENCH_ROUNDS', quick ? 2 : 5),
    sustainSeconds: positiveInteger(env, 'BENCH_SUSTAIN_SECONDS', quick ? 1 : 15),
    warmupRuns: positiveInteger(env, 'BENCH_WARMUP_RUNS', runs),
    aloneRuns: positiveInteger(env, 'BENCH_ALONE_RUNS', quick ? 5 : 50),
    rssSteps: positiveInteger(env, 'BENCH_RSS_STEPS', quick ? 2000 : 100_000),
    rawJobs: positiveInteger(env, 'BENCH_RAW_JOBS', quick ? 1000 : 5000),
    rawConcurrency: positiveInteger(env, 'BENCH_RAW_CONCURRENCY', 10),
    floorConcurrency: positiveInteger(env, 'BENCH_FLOOR_CONCURRENCY', 32),
    liveStreams: positiveInteger(env, 'BENCH_LIVE_STREAMS', quick ? 10 : 100),
    only: onlyPhase(env.BENCH_ONLY),
    ssfUsers: positiveInteger(env, 'BENCH_SSF_USERS', quick ? 10 : 100),
    ssfRunsPerUser: positiveInteger(env, 'BENCH_SSF_RUNS_PER_USER', quick ? 5 : 10),
    ssfRevokedUsers: positiveInteger(env, 'BENCH_SSF_REVOKED', quick ? 3 : 10),
    ssfSteps: positiveInteger(env, 'BENCH_SSF_STEPS', quick ? 5 : 10),
    ssfDownstreamMs: positiveInteger(env, 'BENCH_SSF_DOWNSTREAM_MS', 200),
    fairnessRuns: positiveInteger(env, 'BENCH_FAIRNESS_RUNS', quick ? 60 : 1000),
    fairnessLimit: positiveInteger(env, 'BENCH_FAIRNESS_LIMIT', 20),
    fairnessQuietRuns: positiveInteger(env, 'BENCH_FAIRNESS_B_RUNS', quick ? 5 : 40),
    fairnessDownstreamMs: positiveInteger(env, 'BENCH_FAIRNESS_DOWNSTREAM_MS', 30),
    fairnessUnlimited: env.BENCH_FAIRNESS_UNLIMITED === '1' || env.BENCH_FAIRNESS_UNLIMITED === 'true',
    logLevel: env.BENCH_LOG_LEVEL || 'warn',
    databaseUrl: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    resultPath: env.BENCH_RESULT || 'dist/bench-result.json',
    phaseTimeoutMs: positiveInteger(env, 'BENCH_PHASE_TIMEOUT_MS', 120_000),
  };
}

/** The phases `BENCH_ONLY` can pick. */
export type BenchPhase = 'ssf' | 'fairness';
const ONLY_PHASES: readonly BenchPhase[] = ['ssf', 'fairness'];

function onlyPhase(raw: string | undefined): BenchPhase | null {
  if (raw === undefined || raw === '') return null;
  if (!(ONLY_PHASES as readonly string[]).includes(raw))
    throw new Error(`BENCH_ONLY must be one of ${ONLY_PHASES.join(', ')} (or unset: every phase)`);
  return raw as BenchPhase;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer`);
  return Number(raw);
}
