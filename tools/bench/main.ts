import 'reflect-metadata';
import { Queue, type ConnectionOptions } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { DEFAULT_CLIENT_ID, startDevAuthServer } from '../dev-auth-server/server.js';
import { benchOptions } from './bench-options.js';
import { deleteKeys, dropDatabase, inheritedEnv, lanes, requestJson, sleep, withDatabase } from './bench-support.js';
import { measureLiveEvents } from './live-events.js';
import { BuiltProcess, freePort, npmStartCommand } from './child-process.js';
import { FastResourceServer } from './fast-resource-server.js';
import { measureFairness, type FairnessSettings } from './fairness.js';
import { summarizeProfile } from './cpu-profile.js';
import { histogramTotals, meanMsBetween, memoryBreakdown } from './exposition.js';
import {
  callsAfterRevocation,
  cpuMsPer,
  pauseLatencies,
  percentile,
  stepGaps,
  type ThroughputRound,
  transactionsPer,
  type RevokedRunRecord,
} from './figures.js';
import { cpuBetween, cpuSnapshot } from './machine-cpu.js';
import { FLOOR_JOB_OPTIONS, FLOOR_QUEUE, startFloorRun, stepTemplate, type FloorJob } from './floor.js';
import { BenchDb } from './pg-meter.js';
import { measureRawBullmq } from './raw-bullmq.js';
import {
  fairnessRows,
  figureRows,
  printFairnessReport,
  printReport,
  printRevocationReport,
  type BenchResult,
  type FairnessFigures,
  type PhaseFigures,
  type RevocationFigures,
} from './report.js';
import { BenchTransmitter } from './ssf-transmitter.js';
import { BENCH_SCOPE, NODES_PER_RUN, Workflow, subWorkflowWorkloads, sequentialHttpWorkflow } from './workload.js';

/**
 * `npm run bench` (issue 9's "Targets"): Baton as two built processes (`dist/apps/api`, `dist/apps/worker`),
 * runs started over REST, against ceilings measured in the same run — a hand-written minimal pipeline
 * doing the same work with a queue hop per step (floor.ts), and raw BullMQ. See the README's
 * "Performance" section for the method.
 */
const options = benchOptions();
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const POLL_MS = 50;
/** The `aud` of the revocation phase's SETs (baton.yaml's `sharedSignals.audience`). */
const SSF_AUDIENCE = 'https://baton.bench/ssf';

const closers: { what: string; close: () => Promise<unknown> }[] = [];
const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const database = `baton_bench_${id}`;
const queuePrefix = `baton_bench_${id}`;
const databaseUrl = withDatabase(options.databaseUrl, database);
const http = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
closers.push({ what: 'bench http agent', close: () => http.close() });

let exitCode = 0;
// Labelled so that BENCH_ONLY can leave it early (`break bench`: `finally` still closes everything).
bench: try {
  closers.push({ what: 'drop the bench database', close: () => dropDatabase(options.databaseUrl, database) });
  closers.push({ what: 'delete the bench queue keys', close: () => deleteKeys(options.redisUrl, queuePrefix) });
  log(
    `${options.quick ? 'QUICK smoke run (figures are not meaningful); ' : ''}database ${database}, queue prefix ${queuePrefix}`,
  );

  if (options.only === 'fairness') {
    log('BENCH_ONLY=fairness: the tenant fairness phase alone, on its own two-tenant stack');
    const { fairness, fairnessUnlimited } = await measureFairnessPhases();
    const at = new Date().toISOString();
    printFairnessReport(at, options.quick, fairness, fairnessUnlimited);
    mkdirSync(dirname(options.resultPath), { recursive: true });
    writeFileSync(
      options.resultPath,
      `${JSON.stringify({ at, quick: options.quick, fairness, fairnessUnlimited, rows: fairnessRows(fairness, fairnessUnlimited) }, null, 2)}\n`,
    );
    log(`result written to ${options.resultPath}`);
    break bench;
  }

  // --- the stack: dev AS and resource server here; api and worker as built processes ----------------
  const clientSecret = randomBytes(18).toString('base64url');
  const auth = await startDevAuthServer({
    port: 0,
    devMode: true,
    clients: [{ clientId: DEFAULT_CLIENT_ID, clientSecret }],
    exchangedTokenTtlSeconds: 3600,
  });
  closers.push({ what: 'dev authorization server', close: () => auth.close() });
  const resource = await FastResourceServer.start({ slowMs: options.ssfDownstreamMs });
  closers.push({ what: 'resource server', close: () => resource.close() });
  const transmitter = await BenchTransmitter.start();
  closers.push({ what: 'SSF transmitter', close: () => transmitter.close() });
  const ssfPushToken = randomBytes(18).toString('base64url');

  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  closers.push({ what: 'temp config', close: async () => rmSync(dir, { recursive: true, force: true }) });
  const configPath = join(dir, 'baton.yaml');
  writeFileSync(
    configPath,
    stringify({
      api: { audience: 'baton-api' },
      trustedIssuers: [{ issuer: auth.issuer }],
      exchangeProfiles: {
        corp: {
          issuer: auth.issuer,
          clientId: DEFAULT_CLIENT_ID,
          clientAuth: 'client_secret_basic',
          clientSecretEnv: 'CORP_CLIENT_SECRET',
        },
      },
      // the workload's audiences are names, not URLs: bind them all to the bench's resource server
      http: { allowedHosts: ['127.0.0.1'], audienceOrigins: { '*': [new URL(resource.url).origin] } },
      // The revocation phase's SETs: signed by the bench's transmitter, naming users of the dev AS.
      sharedSignals: {
        audience: SSF_AUDIENCE,
        transmitters: [{ issuer: transmitter.issuer, subjectIssuer: auth.issuer, authorizationEnv: 'SSF_PUSH_TOKEN' }],
      },
    }),
  );
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const batonEnv: Record<string, string> = {
    ...inheritedEnv(),
    DATABASE_URL: databaseUrl,
    REDIS_URL: options.redisUrl,
    BATON_CONFIG: configPath,
    BATON_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BATON_QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: options.logLevel,
    CORP_CLIENT_SECRET: clientSecret,
    SSF_PUSH_TOKEN: ssfPushToken,
    PORT: String(apiPort),
    WORKER_PORT: String(workerPort),
  };
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  log('starting the api (it creates and migrates the database), then the worker');
  const api = BuiltProcess.start('api', npmStartCommand('start:api'), batonEnv, join(dir, 'api-pg-counts.json'));
  closers.push({ what: 'api', close: () => api.stop() });
  await api.waitUntilReady(`${apiUrl}/health/ready`, 60_000);
  const worker = BuiltProcess.start(
    'worker',
    npmStartCommand('start:worker'),
    batonEnv,
    join(dir, 'worker-pg-counts.json'),
  );
  closers.push({ what: 'worker', close: () => worker.stop() });
  await worker.waitUntilReady(`http://127.0.0.1:${workerPort}/health/ready`, 60_000);

  const db = await BenchDb.connect(databaseUrl);
  closers.push({ what: 'bench connection', close: () => db.end() });
  const [{ server_version: postgresVersion }] = (await db.query<{ server_version: string }>('SHOW server_version')) as [
    { server_version: string },
  ];

  const mint = async (sub: string, scope: string): Promise<string> => {
    const body = (await json('POST', `${auth.url}/admin/tokens`, { sub, scope, expiresIn: 3600 })) as {
      access_token: string;
    };
    return body.access_token;
  };
  const admin = await mint('bench-admin', 'baton:workflows:write');
  await json(
    'POST',
    `${apiUrl}/v1/workflows`,
    sequentialHttpWorkflow(Workflow.SameAudience, resource.url, () => 'https://bench.example.com'),
    admin,
    201,
  );
  await json(
    'POST',
    `${apiUrl}/v1/workflows`,
    sequentialHttpWorkflow(
      Workflow.Revocation,
      `${resource.url}/slow`,
      () => 'https://bench.example.com',
      options.ssfSteps,
    ),
    admin,
    201,
  );
  const userToken = await mint('bench-warm-user', BENCH_SCOPE);

  // --- Baton over REST ------------------------------------------------------------------------------
  // The runs each tag started, so that waiting for them reads them by primary key: a scan of `runs`
  // on `input->>'phase'` every poll would load the Postgres being measured.
  const startedRuns = new Map<string, string[]>();
  const track = (tag: string, runId: string): void => {
    const ids = startedRuns.get(tag);
    if (ids) ids.push(runId);
    else startedRuns.set(tag, [runId]);
  };
  const startRun = async (tag: string, item: number): Promise<void> => {
    const started = (await json(
      'POST',
      `${apiUrl}/v1/workflows/${Workflow.SameAudience}/runs`,
      { input: { item, phase: tag } },
      userToken,
      202,
    )) as { id: string };
    track(tag, started.id);
  };
  /** Starts `runs` runs tagged `tag`, `concurrency` requests in flight. */
  const startRuns = (
    tag: string,
    runs: number,
    concurrency: number,
    start: (tag: string, i: number) => Promise<void> = startRun,
  ): Promise<void> => lanes(runs, concurrency, (i) => start(tag, i));
  /** Waits until every run tagged `tag` succeeded; the end as Postgres recorded it (ms since the epoch). */
  const finished = async (tag: string, runs: number, timeoutMs = options.phaseTimeoutMs): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    const ids = startedRuns.get(tag);
    while (Date.now() < deadline) {
      const [row] = await db.query<{ succeeded: number; stopped: number; last_ms: number | null }>(
        `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
                count(*) FILTER (WHERE status IN ('failed', 'cancelled', 'waiting_for_human'))::int AS stopped,
                (extract(epoch FROM max(finished_at)) * 1000)::float8 AS last_ms
         FROM runs WHERE ${ids ? 'id = ANY($1::uuid[])' : `input->>'phase' = $1`}`,
        [ids ?? tag],
      );
      if (row!.stopped > 0)
        throw new Error(`${tag}: ${row!.stopped} runs did not succeed (${await stoppedReasons(db, tag)})`);
      if (row!.succeeded >= runs) return row!.last_ms!;
      await sleep(POLL_MS);
    }
    throw new Error(`${tag}: runs did not all finish within ${timeoutMs / 1000} s\nworker:\n${worker.tail()}`);
  };

  if (options.only === 'ssf') {
    log(`BENCH_ONLY=ssf: warming up (${options.warmupRuns} runs), then the revocation phase alone`);
    await startRuns('warmup', options.warmupRuns, options.concurrency);
    await finished('warmup', options.warmupRuns);
    const ssf = await measureRevocation();
    const at = new Date().toISOString();
    printRevocationReport(at, options.quick, ssf);
    mkdirSync(dirname(options.resultPath), { recursive: true });
    writeFileSync(options.resultPath, `${JSON.stringify({ at, quick: options.quick, ssf }, null, 2)}\n`);
    log(`result written to ${options.resultPath}`);
    break bench;
  }
  // --- raw BullMQ --------------------------------------------------------------------------------
  log(`raw BullMQ: ${options.rawJobs} empty jobs, concurrency ${options.rawConcurrency}`);
  const raw = await measureRawBullmq('bulk', {
    redisUrl: options.redisUrl,
    prefix: queuePrefix,
    jobs: options.rawJobs,
    concurrency: options.rawConcurrency,
    chainLength: NODES_PER_RUN,
  });

  // --- warm-up (unmeasured): JIT, pools, JWKS and discovery caches, the definition cache, the exchanged token
  log(`warming up: ${options.warmupRuns} runs`);
  await startRuns('warmup', options.warmupRuns, options.concurrency);
  await finished('warmup', options.warmupRuns);
  const [sample] = await db.query<{ id: string }>(
    `SELECT id FROM runs WHERE input->>'phase' = 'warmup' ORDER BY finished_at DESC LIMIT 1`,
  );
  const template = await stepTemplate((text, values) => db.query(text, values), sample!.id);
  const rssAfterWarmup = worker.rssBytes();

  // --- one run alone: step gaps ------------------------------------------------------------------
  log(`step gap, one run alone: ${options.aloneRuns} runs one after another`);
  resource.record();
  const completionsBeforeAlone = await completionTotals();
  for (let i = 0; i < options.aloneRuns; i++) {
    await startRun(`alone-${i}`, i);
    await finished(`alone-${i}`, 1);
  }
  const aloneGaps = stepGaps(resource.takeRecords());
  const aloneCompletionMs = meanMsBetween(completionsBeforeAlone, await completionTotals());

  // --- sustained load before the measured phases: this VM's clock is ~25 % slower for the first
  // seconds of load after a quiet spell (the 50 runs alone were one), and every CPU figure below is per step
  log(`sustained load: ${options.sustainSeconds} s of ${options.runs}-run batches (unmeasured)`);
  for (let batch = 0, until = Date.now() + options.sustainSeconds * 1000; Date.now() < until; batch++) {
    await startRuns(`sustain-${batch}`, options.runs, options.concurrency);
    await finished(`sustain-${batch}`, options.runs);
  }

  // --- the throughput phase: 200 runs, 20 starts at a time, api and worker running together --------
  const completionsBeforeLoad = await completionTotals();
  const load = await measured(`load`, options.runs, async (tag) => {
    resource.record();
    await startRuns(tag, options.runs, options.concurrency);
  });
  // The throughput rounds below add theirs: the p99 of one phase's 800 gaps moves with the machine.
  const loadGaps = stepGaps(resource.takeRecords());
  const loadCompletionMs = meanMsBetween(completionsBeforeLoad, await completionTotals());

  // --- where the time goes: the load phase again, with V8's sampling profiler in the api and the worker
  log(`CPU profile: ${options.runs} runs as in the load phase, api and worker profiled`);
  await Promise.all([api.startProfile(), worker.startProfile()]);
  await startRuns('profile', options.runs, options.concurrency);
  await finished('profile', options.runs);
  const [apiProfile, workerProfile] = await Promise.all([api.stopProfile(), worker.stopProfile()]);
  // The raw profiles beside the result, for Chrome DevTools' Performance panel.
  mkdirSync(dirname(options.resultPath), { recursive: true });
  for (const [name, raw] of [
    ['api', apiProfile],
    ['worker', workerProfile],
  ] as const)
    writeFileSync(options.resultPath.replace(/\.json$/, '') + `.${name}.cpuprofile`, JSON.stringify(raw));
  const profile = {
    runs: options.runs,
    steps: options.runs * NODES_PER_RUN,
    api: summarizeProfile(apiProfile),
    worker: summarizeProfile(workerProfile),
  };

  // --- the api alone (worker paused with SIGSTOP): its transactions and CPU per run start, then the
  // worker draining those runs alone: its transactions and CPU per step with nothing else running.
  log(`api alone: ${options.runs} run starts with the worker paused, then the worker drains them`);
  const apiAlone = await (async () => {
    const tag = 'api-alone';
    const apiBefore = { ticks: api.cpuTicks(), pg: await api.pgCounts() };
    const workerCountsBefore = await worker.pgCounts();
    worker.pause();
    let resumed = false;
    try {
      await startRuns(tag, options.runs, options.concurrency);
      const apiTicks = api.cpuTicks() - apiBefore.ticks;
      const apiPg = await api.pgCounts();
      const workerBefore = worker.cpuTicks();
      worker.resume();
      resumed = true;
      await finished(tag, options.runs);
      const workerTicks = worker.cpuTicks() - workerBefore;
      const workerPg = await worker.pgCounts();
      const steps = options.runs * NODES_PER_RUN;
      return {
        api: {
          statementsPerStart: (apiPg.statements - apiBefore.pg.statements) / options.runs,
          transactionsPerStart: (apiPg.transactions - apiBefore.pg.transactions) / options.runs,
          cpuMsPerStart: cpuMsPer(apiTicks, options.runs),
        },
        worker: {
          statementsPerStep: (workerPg.statements - workerCountsBefore.statements) / steps,
          transactionsPerStep: (workerPg.transactions - workerCountsBefore.transactions) / steps,
          cpuMsPerStep: cpuMsPer(workerTicks, steps),
        },
      };
    } finally {
      if (!resumed) worker.resume();
    }
  })();

  // --- the floor: the hand-written pipeline with a queue hop per step -----------------------------
  log(`floor pipeline: ${options.runs} runs, worker concurrency ${options.floorConcurrency}`);
  const floorWorker = BuiltProcess.start(
    'floor worker',
    'dist/tools/bench/floor-worker.js',
    {
      ...inheritedEnv(),
      FLOOR_DATABASE_URL: databaseUrl,
      FLOOR_REDIS_URL: options.redisUrl,
      FLOOR_PREFIX: queuePrefix,
      FLOOR_CONCURRENCY: String(options.floorConcurrency),
      FLOOR_RESOURCE_URL: resource.url,
      FLOOR_LENGTH: String(NODES_PER_RUN),
      FLOOR_TEMPLATE: JSON.stringify(template),
    },
    join(dir, 'floor-pg-counts.json'),
  );
  closers.push({ what: 'floor worker', close: () => floorWorker.stop() });
  await floorWorker.waitForLine('ready');
  const floorPool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    application_name: 'baton-bench-floor-starts',
  });
  closers.push({ what: 'floor pool', close: () => floorPool.end() });
  const connection = {
    host: new URL(options.redisUrl).hostname,
    port: Number(new URL(options.redisUrl).port || 6379),
  } as ConnectionOptions;
  const floorQueue = new Queue<FloorJob>(FLOOR_QUEUE, { connection, prefix: queuePrefix });
  closers.push({ what: 'floor queue', close: () => floorQueue.close() });
  const startFloor = async (tag: string, item: number): Promise<void> => {
    const runId = await startFloorRun(floorPool, Workflow.SameAudience, NODES_PER_RUN, { item, phase: tag });
    track(tag, runId);
    await floorQueue.add(
      'step',
      { runId, step: 1, item, claimed: false },
      { ...FLOOR_JOB_OPTIONS, jobId: `${runId}.step1.1` },
    );
  };
  // Unmeasured first round: the floor worker's JIT, pool and prepared statements.
  await startRuns('floor-warmup', Math.min(options.warmupRuns, options.runs), options.concurrency, startFloor);
  await finished('floor-warmup', Math.min(options.warmupRuns, options.runs));
  const floor = await measured(
    'floor',
    options.runs,
    (tag) => startRuns(tag, options.runs, options.concurrency, startFloor),
    floorWorker,
  );
  // --- throughput rounds: Baton and the floor back to back, in alternating order (the machine's speed
  // drifts by ±15 % within seconds; each round's ratio compares phases seconds apart, ABBA cancels a trend)
  const rounds: ThroughputRound[] = [];
  for (let round = 1; round <= options.throughputRounds; round++) {
    const batonFirst = round % 2 === 1;
    log(
      `throughput round ${round} of ${options.throughputRounds}: ${batonFirst ? 'Baton, then the floor' : 'the floor, then Baton'}, ${options.runs} runs each`,
    );
    const batonRound = async (): Promise<number> => {
      resource.record();
      const rate = await stepsPerSecondOf(`load-${round}`, (tag) => startRuns(tag, options.runs, options.concurrency));
      loadGaps.push(...stepGaps(resource.takeRecords()));
      return rate;
    };
    const floorRound = (): Promise<number> =>
      stepsPerSecondOf(`floor-${round}`, (tag) => startRuns(tag, options.runs, options.concurrency, startFloor));
    let baton: number;
    let floorRate: number;
    if (batonFirst) {
      baton = await batonRound();
      floorRate = await floorRound();
    } else {
      floorRate = await floorRound();
      baton = await batonRound();
    }
    rounds.push({ baton, floor: floorRate });
    log(
      `  Baton ${baton.toFixed(1)} steps/s, floor ${floorRate.toFixed(1)} steps/s (${(baton / floorRate).toFixed(2)}×)`,
    );
  }
  await floorWorker.stop();
  // The floor must have written what Baton wrote: the same audit rows per run, in the same operations.
  const written = await db.query<{ phase: string; per_run: string; operations: string }>(
    `SELECT r.input->>'phase' AS phase, (count(*)::float8 / count(DISTINCT r.id))::text AS per_run,
            string_agg(DISTINCT a.operation, ',' ORDER BY a.operation) AS operations
     FROM runs r JOIN audit_entries a ON a.run_id = r.id WHERE r.input->>'phase' IN ('load', 'floor') GROUP BY 1`,
  );
  const [batonRows, floorRows] = ['load', 'floor'].map((phase) => written.find((w) => w.phase === phase));
  if (
    !batonRows ||
    !floorRows ||
    batonRows.per_run !== floorRows.per_run ||
    batonRows.operations !== floorRows.operations
  ) {
    throw new Error(`the floor did not write the rows Baton wrote: ${JSON.stringify(written)}`);
  }
  log(`  audit rows per run: Baton ${batonRows.per_run}, floor ${floorRows.per_run} (${floorRows.operations})`);

  // --- worker RSS over many steps ----------------------------------------------------------------
  const rssRuns = Math.ceil(options.rssSteps / NODES_PER_RUN);
  log(`worker RSS: ${rssRuns * NODES_PER_RUN} steps (${rssRuns} runs, at most ${options.runs} in flight)`);
  const rss = await (async () => {
    const tag = 'rss';
    const base = resource.requests;
    const marks = [0.1, 0.5];
    const samples: { share: number; steps: number; bytes: number }[] = [];
    let started = 0;
    // Room for 50 steps/s at least, on a machine shared with others.
    const deadline = Date.now() + options.phaseTimeoutMs + options.rssSteps * 20;
    const progress = () => resource.requests - base;
    const sampleMarks = () => {
      while (marks.length > 0 && progress() >= marks[0]! * rssRuns * NODES_PER_RUN)
        samples.push({ share: marks.shift()!, steps: progress(), bytes: worker.rssBytes() });
    };
    while (started < rssRuns) {
      if (Date.now() > deadline) throw new Error('rss: out of time');
      sampleMarks();
      if (started * NODES_PER_RUN - progress() >= options.runs * NODES_PER_RUN) {
        await sleep(POLL_MS);
        continue;
      }
      const batch = Math.min(options.concurrency, rssRuns - started);
      const from = started;
      started += batch;
      await Promise.all(Array.from({ length: batch }, (_, k) => startRun(tag, from + k)));
    }
    await finished(tag, rssRuns, deadline - Date.now());
    sampleMarks();
    samples.push({ share: 1, steps: progress(), bytes: worker.rssBytes() });
    const memory = memoryBreakdown(await text(`http://127.0.0.1:${workerPort}/metrics`));
    return { steps: rssRuns * NODES_PER_RUN, afterWarmupBytes: rssAfterWarmup, samples, memory };
  })();

  // --- live events: 100 audit streams while runs go by (SPEC §13) --------------------------------
  const liveRuns = Math.max(5, Math.round(options.runs / 4));
  log(`live events: ${options.liveStreams} audit streams, ${liveRuns} runs`);
  const live = await measureLiveEventsOrExplain({
    apiUrl,
    token: await mint('bench-auditor', 'baton:audit:read'),
    workflow: Workflow.SameAudience,
    streams: options.liveStreams,
    timeoutMs: options.phaseTimeoutMs,
    start: async () => {
      await startRuns('live', liveRuns, options.concurrency);
      await finished('live', liveRuns);
      const [row] = await db.query<{ entries: number }>(
        `SELECT count(*)::int AS entries FROM audit_entries a JOIN runs r ON r.id = a.run_id WHERE r.input->>'phase' = 'live'`,
      );
      return row!.entries;
    },
  });

  async function measureLiveEventsOrExplain(
    options: Parameters<typeof measureLiveEvents>[0],
  ): ReturnType<typeof measureLiveEvents> {
    try {
      return await measureLiveEvents(options);
    } catch (err) {
      throw new Error(`${(err as Error).message}\napi:\n${api.tail()}`, { cause: err });
    }
  }

  // --- sub-workflow overhead per child run (SPEC §11): runs one at a time, flat and delegating alternately
  const subRuns = options.quick ? 5 : 30;
  log(
    `sub-workflow overhead: ${subRuns} delegating runs (http → child run of one http node) beside ${subRuns} flat runs of two http nodes`,
  );
  for (const definition of subWorkflowWorkloads(resource.url, 'https://bench.example.com'))
    await json('POST', `${apiUrl}/v1/workflows`, definition, admin, 201);
  for (let i = 0; i < subRuns; i++) {
    for (const [workflow, tag] of [
      [Workflow.FlatTwo, 'sub-flat'],
      [Workflow.Delegating, 'sub-delegating'],
    ] as const) {
      const started = (await json(
        'POST',
        `${apiUrl}/v1/workflows/${workflow}/runs`,
        { input: { item: i, phase: `${tag}-${i}` } },
        userToken,
        202,
      )) as { id: string };
      track(`${tag}-${i}`, started.id);
      await finished(`${tag}-${i}`, 1);
    }
  }
  const subWorkflow = await (async () => {
    const durations = async (tag: string) =>
      (
        await db.query<{ ms: number }>(
          `SELECT (extract(epoch FROM finished_at - created_at) * 1000)::float8 AS ms FROM runs WHERE input->>'phase' LIKE $1 || '-%'`,
          [tag],
        )
      ).map((r) => r.ms);
    const [flat, delegating] = [await durations('sub-flat'), await durations('sub-delegating')];
    const [{ children }] = (await db.query<{ children: number }>(
      `SELECT count(*)::int AS children FROM runs WHERE workflow_name = $1 AND status = 'succeeded'`,
      [Workflow.DelegatedChild],
    )) as [{ children: number }];
    const flatMs = percentile(flat, 50);
    const delegatingMs = percentile(delegating, 50);
    return { runs: subRuns, children, flatMs, delegatingMs, overheadMs: delegatingMs - flatMs };
  })();

  // --- revocation under load: SET accepted → runs paused (SPEC §10.3), last: it leaves runs behind ---
  const ssf = await measureRevocation();

  // --- tenant fairness (SPEC §12.1), on a two-tenant stack of its own: this stack's processes stop first
  await worker.stop();
  await api.stop();
  const { fairness, fairnessUnlimited } = await measureFairnessPhases();

  // --- report ------------------------------------------------------------------------------------
  const cpu = cpus();
  const result: BenchResult = {
    at: new Date().toISOString(),
    quick: options.quick,
    machine: {
      node: process.version,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? '?',
      platform: `${platform()} ${release()}`,
      postgres: postgresVersion,
    },
    settings: {
      runs: options.runs,
      nodesPerRun: NODES_PER_RUN,
      startConcurrency: options.concurrency,
      warmupRuns: options.warmupRuns,
      sustainSeconds: options.sustainSeconds,
      throughputRounds: options.throughputRounds,
      aloneRuns: options.aloneRuns,
      rssSteps: rss.steps,
      rawJobs: options.rawJobs,
      rawConcurrency: options.rawConcurrency,
      floorConcurrency: options.floorConcurrency,
      ssfUsers: options.ssfUsers,
      ssfRunsPerUser: options.ssfRunsPerUser,
      ssfRevokedUsers: options.ssfRevokedUsers,
      ssfSteps: options.ssfSteps,
      ssfDownstreamMs: options.ssfDownstreamMs,
      fairnessRuns: options.fairnessRuns,
      fairnessLimit: options.fairnessLimit,
      fairnessQuietRuns: options.fairnessQuietRuns,
      fairnessDownstreamMs: options.fairnessDownstreamMs,
      logLevel: options.logLevel,
    },
    raw,
    load,
    floor,
    rounds,
    apiAlone,
    gaps: {
      alone: {
        completionMs: aloneCompletionMs,
        count: aloneGaps.length,
        p50: percentile(aloneGaps, 50),
        p99: percentile(aloneGaps, 99),
        max: percentile(aloneGaps, 100),
      },
      load: {
        completionMs: loadCompletionMs,
        count: loadGaps.length,
        p50: percentile(loadGaps, 50),
        p99: percentile(loadGaps, 99),
        max: percentile(loadGaps, 100),
      },
    },
    rss,
    live,
    subWorkflow,
    ssf,
    fairness,
    ...(fairnessUnlimited && { fairnessUnlimited }),
    profile,
  };
  result.rows = figureRows(result);
  printReport(result);
  mkdirSync(dirname(options.resultPath), { recursive: true });
  writeFileSync(options.resultPath, `${JSON.stringify(result, null, 2)}\n`);
  log(`result written to ${options.resultPath}`);

  /**
   * SPEC §10.3's 1 s bound with many runs in flight: `ssfUsers` × `ssfRunsPerUser` runs of
   * `ssfSteps` http steps against a downstream that answers after `ssfDownstreamMs` (so chains stay
   * busy and the queue stays long), then one signed session-revoked SET per revoked user pushed to
   * `POST /v1/ssf/events`. Per revoked run: its SET's 202 → the `at` of its token_revoked
   * `escalation.created` row (Postgres and the bench share the clock); and every downstream call
   * of a revoked user's run arriving more than 1 s after that 202. Runs stay behind (unfinished).
   */
  async function measureRevocation(): Promise<RevocationFigures> {
    const tag = 'ssf';
    const users = options.ssfUsers;
    const runs = users * options.ssfRunsPerUser;
    const revokedCount = Math.min(options.ssfRevokedUsers, users);
    log(
      `revocation: ${runs} runs of ${users} users, ${options.ssfSteps} steps each (downstream ${options.ssfDownstreamMs} ms); ${revokedCount} users revoked`,
    );
    const startedAt = Date.now();
    const subs = Array.from({ length: users }, (_, u) => `bench-ssf-user-${u}`);
    const tokens = await Promise.all(subs.map((sub) => mint(sub, BENCH_SCOPE)));
    // Every run is started before the worker takes any: all of them in flight once steps come.
    const callsBefore = resource.requests;
    worker.pause();
    try {
      await lanes(runs, options.concurrency, async (i) => {
        await json(
          'POST',
          `${apiUrl}/v1/workflows/${Workflow.Revocation}/runs`,
          { input: { item: i, phase: tag } },
          tokens[i % users],
          202,
        );
      });
    } finally {
      worker.resume();
    }
    // Chains under way, three steps each, before the first SET.
    while (resource.requests === callsBefore) await sleep(10);
    await sleep(3 * options.ssfDownstreamMs);
    const [{ n: inFlight }] = (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM runs WHERE input->>'phase' = $1 AND status IN ('pending', 'running', 'waiting_for_human')`,
      [tag],
    )) as [{ n: number }];

    const calls: { runId: string; arrivedMs: number }[] = [];
    resource.watch((runId, arrivedMs) => calls.push({ runId, arrivedMs }));
    const pushes: { sub: string; jti: string; acceptedAtMs: number; acceptedMono: number; tookMs: number }[] = [];
    try {
      for (let k = 0; k < revokedCount; k++) {
        const sub = subs[Math.floor((k * users) / revokedCount)]!;
        const set = await transmitter.sessionRevoked(SSF_AUDIENCE, auth.issuer, sub);
        const sent = performance.now();
        const response = await request(`${apiUrl}/v1/ssf/events`, {
          dispatcher: http,
          method: 'POST',
          headers: { 'content-type': 'application/secevent+jwt', authorization: `Bearer ${ssfPushToken}` },
          body: set,
        });
        const text = await response.body.text();
        const acceptedMono = performance.now();
        const acceptedAtMs = Date.now();
        if (response.statusCode !== 202)
          throw new Error(`POST /v1/ssf/events answered ${response.statusCode}: ${text}`);
        const jti = (JSON.parse(Buffer.from(set.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string }).jti;
        pushes.push({ sub, jti, acceptedAtMs, acceptedMono, tookMs: acceptedMono - sent });
        await sleep(100);
      }

      // Until every revoked run paused or ended, and at least 2 s after the last 202 (late calls would show).
      const jtis = pushes.map((p) => p.jti);
      const deadline = Date.now() + 30_000;
      const observeUntil = pushes[pushes.length - 1]!.acceptedMono + 2000;
      type Affected = { jti: string; run_id: string; status: string; paused_ms: number | null };
      let affected: Affected[] = [];
      for (;;) {
        affected = await db.query<Affected>(
          `SELECT a.details->>'jti' AS jti, a.run_id, r.status,
                  (SELECT extract(epoch FROM min(e.at)) * 1000 FROM audit_entries e
                   WHERE e.run_id = a.run_id AND e.operation = 'escalation.created' AND e.details->>'reason' = 'token_revoked')::float8 AS paused_ms
           FROM audit_entries a JOIN runs r ON r.id = a.run_id
           WHERE a.operation = 'security_event.applied' AND a.details->>'jti' = ANY($1)`,
          [jtis],
        );
        const settled = affected.every(
          (a) => a.paused_ms !== null || ['succeeded', 'failed', 'cancelled'].includes(a.status),
        );
        if ((settled && performance.now() >= observeUntil) || Date.now() > deadline) break;
        await sleep(POLL_MS);
      }

      const byJti = new Map(pushes.map((p) => [p.jti, p]));
      const records: RevokedRunRecord[] = affected.map((a) => ({
        runId: a.run_id,
        acceptedAtMs: byJti.get(a.jti)!.acceptedAtMs,
        pausedAtMs: a.paused_ms,
        ended: ['succeeded', 'failed', 'cancelled'].includes(a.status),
      }));
      const pauses = pauseLatencies(records);
      const revokedRuns = await db.query<{ id: string; user_sub: string }>(
        `SELECT id, user_sub FROM runs WHERE input->>'phase' = $1 AND user_sub = ANY($2)`,
        [tag, pushes.map((p) => p.sub)],
      );
      const acceptedBySub = new Map(pushes.map((p) => [p.sub, p.acceptedMono]));
      const acceptedByRun = new Map(revokedRuns.map((r) => [r.id, acceptedBySub.get(r.user_sub)!]));
      const after = callsAfterRevocation(calls, acceptedByRun);
      const took = pushes.map((p) => p.tookMs);
      const figures: RevocationFigures = {
        users,
        runsPerUser: options.ssfRunsPerUser,
        stepsPerRun: options.ssfSteps,
        downstreamMs: options.ssfDownstreamMs,
        inFlight,
        revokedUsers: revokedCount,
        affected: records.length,
        paused: pauses.latencies.length,
        pausedBeforeAccepted: pauses.pausedBeforeAccepted,
        endedInstead: pauses.endedInstead,
        neverPaused: pauses.neverPaused,
        p50: percentile(pauses.latencies, 50),
        p99: percentile(pauses.latencies, 99),
        max: percentile(pauses.latencies, 100),
        acceptP50: percentile(took, 50),
        acceptMax: percentile(took, 100),
        lateCalls: after.late,
        callsWithinBound: after.within,
        seconds: (Date.now() - startedAt) / 1000,
      };
      log(
        `  ${figures.affected} runs revoked of ${inFlight} in flight: 202 → paused p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms; ` +
          `${figures.lateCalls} calls > 1 s after a 202; phase ${figures.seconds.toFixed(1)} s`,
      );
      return figures;
    } finally {
      resource.watch(null);
    }
  }

  /** The worker's completion round-trip histogram (baton_node_completion_seconds), for a phase's mean. */
  async function completionTotals(): Promise<{ sum: number; count: number }> {
    return histogramTotals(await text(`http://127.0.0.1:${workerPort}/metrics`), 'baton_node_completion_seconds');
  }

  /** One throughput round: steps/s of `runs` runs started by `start` (as `measured`, nothing else read). */
  async function stepsPerSecondOf(tag: string, start: (tag: string) => Promise<void>): Promise<number> {
    await db.query('VACUUM (ANALYZE) runs, node_runs, audit_entries');
    const startedAt = Date.now();
    await start(tag);
    const lastMs = await finished(tag, options.runs);
    return (options.runs * NODES_PER_RUN) / ((lastMs - startedAt) / 1000);
  }

  /**
   * One measured throughput phase: `start` starts the runs tagged `tag`; measured from the first start
   * sent to the last run's finished_at, with the transactions committed and the processes' CPU over it.
   */
  async function measured(
    name: string,
    runs: number,
    start: (tag: string) => Promise<void>,
    workerProcess: BuiltProcess = worker,
  ): Promise<PhaseFigures> {
    log(`phase ${name}: ${runs} runs, ${options.concurrency} starts at a time`);
    const tag = name;
    // Earlier runs' dead rows vacuumed and statistics fresh, outside the measured interval.
    await db.query('VACUUM (ANALYZE) runs, node_runs, audit_entries');
    const before = await db.settledCommits();
    const ticks = { api: api.cpuTicks(), worker: workerProcess.cpuTicks() };
    const counted = { api: await api.pgCounts(), worker: await workerProcess.pgCounts() };
    const machineBefore = cpuSnapshot();
    const startedAt = Date.now();
    await start(tag);
    const lastMs = await finished(tag, runs);
    const machineAfter = cpuSnapshot();
    const used = { api: api.cpuTicks() - ticks.api, worker: workerProcess.cpuTicks() - ticks.worker };
    const [apiPg, workerPg] = [await api.pgCounts(), await workerProcess.pgCounts()];
    const after = await db.settledCommits();
    const steps = runs * NODES_PER_RUN;
    const seconds = (lastMs - startedAt) / 1000;
    const figures: PhaseFigures = {
      runs,
      steps,
      seconds,
      stepsPerSecond: steps / seconds,
      transactionsPerStep: transactionsPer(before.commits, after.commits, after.own - before.own, steps),
      worker: {
        statementsPerStep: (workerPg.statements - counted.worker.statements) / steps,
        transactionsPerStep: (workerPg.transactions - counted.worker.transactions) / steps,
      },
      api: {
        statementsPerStart: (apiPg.statements - counted.api.statements) / runs,
        transactionsPerStart: (apiPg.transactions - counted.api.transactions) / runs,
      },
      workerCpuMsPerStep: cpuMsPer(used.worker, steps),
      apiCpuMsPerStart: cpuMsPer(used.api, runs),
      machineCpuPerStep: cpuBetween(machineBefore, machineAfter, steps),
    };
    const m = figures.machineCpuPerStep!;
    log(
      `  ${figures.stepsPerSecond.toFixed(1)} steps/s, worker ${figures.worker.statementsPerStep.toFixed(2)} statements/step, ${figures.transactionsPerStep.toFixed(2)} tx/step in pg_stat_database, worker ${figures.workerCpuMsPerStep.toFixed(2)} ms CPU/step; per step: postgres ${m.postgresMs.toFixed(2)} ms, redis ${m.redisMs.toFixed(2)} ms, all CPUs busy ${m.busyMs.toFixed(2)} ms, steal ${m.stealMs.toFixed(2)} ms`,
    );
    return figures;
  }
} catch (error) {
  exitCode = 1;
  process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  for (const { what, close } of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      exitCode = 1;
      process.stderr.write(
        `bench: could not close ${what}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
}
process.exitCode = exitCode;
// Everything is closed; if something still holds the event loop, say what and leave anyway.
setTimeout(() => {
  process.stderr.write(`bench: still open after close: ${process.getActiveResourcesInfo().join(', ')}\n`);
  process.exit(exitCode);
}, 10_000).unref();

/**
 * The fairness phase (fairness.ts) with tenant A limited to `BENCH_FAIRNESS_LIMIT`, then, with
 * `BENCH_FAIRNESS_UNLIMITED=1`, once more with A unlimited for reference. Each on a fresh stack.
 */
async function measureFairnessPhases(): Promise<{ fairness: FairnessFigures; fairnessUnlimited?: FairnessFigures }> {
  const settings = (suffix: string, limit: number | null): FairnessSettings => ({
    serverDatabaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    name: `${database}_${suffix}`,
    logLevel: options.logLevel,
    floodRuns: options.fairnessRuns,
    limit,
    quietRuns: options.fairnessQuietRuns,
    downstreamMs: options.fairnessDownstreamMs,
    concurrency: options.concurrency,
    timeoutMs: options.phaseTimeoutMs,
    log,
  });
  const fairness = await measureFairness(settings('fair', options.fairnessLimit));
  if (!options.fairnessUnlimited) return { fairness };
  return { fairness, fairnessUnlimited: await measureFairness(settings('fair_unlimited', null)) };
}

async function stoppedReasons(db: BenchDb, tag: string): Promise<string> {
  const rows = await db.query<{ status: string; error: unknown; n: number }>(
    `SELECT status, error, count(*)::int AS n FROM runs WHERE input->>'phase' = $1 AND status IN ('failed', 'cancelled', 'waiting_for_human') GROUP BY 1, 2 LIMIT 5`,
    [tag],
  );
  return rows.map((r) => `${r.n}× ${r.status} ${JSON.stringify(r.error)}`).join('; ');
}

/** A JSON request from the bench (keep-alive); throws unless it answers `expect` (any 2xx when unset). */
function json(method: string, url: string, body?: unknown, bearer?: string, expect?: number): Promise<unknown> {
  return requestJson(http, method, url, body, bearer, expect);
}

async function text(url: string): Promise<string> {
  const response = await request(url, { dispatcher: http });
  return response.body.text();
}
