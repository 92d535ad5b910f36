import type { ProfileSummary } from './cpu-profile.js';
import type { MemoryBreakdown } from './exposition.js';
import type { LiveEventFigures } from './live-events.js';
import type { MachineCpu } from './machine-cpu.js';
import type { RawBullmqResult } from './raw-bullmq.js';
import {
  formatMs,
  formatRatio,
  formatTarget,
  markdownTable,
  plainTable,
  rssFlat,
  throughputOverRounds,
  verdict,
  type FigureRow,
  type LatencySummary,
  type Target,
  type ThroughputRound,
} from './figures.js';

/** Issue 9: the previous engine, measured from outside with api and worker as separate processes. */
export const BEFORE_STEPS_PER_SECOND = 163.6;
const MiB = 1024 * 1024;

export interface PhaseFigures {
  runs: number;
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  /** Every transaction committed in the database during the phase (pg_stat_database, the bench's polls out), per step. */
  transactionsPerStep: number;
  /** What the worker process sent (pg-count-preload), per step: its round trips and transactions. */
  worker: { statementsPerStep: number; transactionsPerStep: number };
  /** What the api process sent, per run start (0 for the floor, whose runs the bench starts itself, one statement each). */
  api: { statementsPerStart: number; transactionsPerStart: number };
  workerCpuMsPerStep: number;
  apiCpuMsPerStart: number;
  /** The rest of the machine over the phase, ms per step (machine-cpu.ts). */
  machineCpuPerStep?: MachineCpu;
}

export interface GapFigures {
  /** Mean round trip of the worker's step completions in the phase (its metric), ms: the Postgres part of a gap. */
  completionMs?: number | null;
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** SPEC §10.3 under load: SET accepted (202) → each revoked run paused, with many runs in flight. */
export interface RevocationFigures {
  users: number;
  runsPerUser: number;
  stepsPerRun: number;
  downstreamMs: number;
  /** Runs of the phase not terminal when the first SET was sent. */
  inFlight: number;
  revokedUsers: number;
  /** Runs the SETs revoked (their `security_event.applied` rows). */
  affected: number;
  paused: number;
  pausedBeforeAccepted: number;
  endedInstead: number;
  neverPaused: number;
  /** 202 → paused, ms, over the paused runs (0 when paused before the 202 arrived). */
  p50: number;
  p99: number;
  max: number;
  /** POST of a SET → its 202, ms. */
  acceptP50: number;
  acceptMax: number;
  /** Downstream calls of revoked runs arriving more than 1 s after their SET's 202 (must be 0), and within it. */
  lateCalls: number;
  callsWithinBound: number;
  /** The phase's wall time, s. */
  seconds: number;
}

/** SPEC §12.1 under a flood: tenant B's readiness → `node.started` while tenant A has many runs queued. */
export interface FairnessFigures {
  limit: number | null;
  floodRuns: number;
  quietRuns: number;
  nodesPerRun: number;
  downstreamMs: number;
  /** Tenant B's first node of each run: `run.started` → `node.started` (audit `at`s, Postgres's clock), ms. */
  first: LatencySummary;
  /** Every node of tenant B's runs: `queued_at` (ready) → `started_at` of its node row, ms. */
  every: LatencySummary;
  /** B's nodes never started when the bench stopped waiting (a failure of the bound). */
  neverStarted: number;
  /** Tenant A's nodes not yet run (pending or queued) when B started its first and its last run. */
  floodBacklogAtFirst: number;
  floodBacklogAtLast: number;
  /** B's runs started while A still had nodes waiting (the ones the bound is about). */
  quietUnderFlood: number;
  /** Tenant A's run starts accepted per second (the api under the flood). */
  floodStartsPerSecond: number;
  /** Tenant A's nodes that succeeded per second while B's runs went by. */
  floodStepsPerSecond: number;
  /** The most of A's nodes in one downstream call at once (seen by A's resource server). */
  floodMaxInFlight: number;
  /** The most slots A held (node_runs.slot_tenant, queued or running) and A nodes running, sampled every 50 ms. */
  floodMaxSlots: number;
  floodMaxRunning: number;
  /** B's start request → its 202 (the bench's clock), p50 ms. */
  quietStartP50: number;
  seconds: number;
}

export interface BenchResult {
  at: string;
  quick: boolean;
  machine: { node: string; cpus: number; cpuModel: string; platform: string; postgres: string };
  settings: Record<string, unknown>;
  raw: RawBullmqResult;
  /** Baton: runs started over REST, api and worker running together. */
  load: PhaseFigures;
  /** The hand-written pipeline (its worker's CPU under workerCpuMsPerStep). */
  floor: PhaseFigures;
  /** Steps/s of Baton and the floor per throughput round (back to back, alternating which goes first). */
  rounds: ThroughputRound[];
  /** The api with the worker paused, then the worker draining alone. */
  apiAlone: {
    api: { statementsPerStart: number; transactionsPerStart: number; cpuMsPerStart: number };
    worker: { statementsPerStep: number; transactionsPerStep: number; cpuMsPerStep: number };
  };
  gaps: { alone: GapFigures; load: GapFigures };
  rss: {
    steps: number;
    afterWarmupBytes: number;
    samples: { share: number; steps: number; bytes: number }[];
    /** The worker's own view of its memory at the end (prom-client's default metrics). */
    memory?: MemoryBreakdown;
  };
  /** SPEC §13: commit-to-event latency with many audit streams connected. */
  live: LiveEventFigures;
  /** The load phase run again under V8's sampling profiler: self time per component. */
  profile?: { runs: number; steps: number; api: ProfileSummary; worker: ProfileSummary };
  /** SPEC §10.3 under load: SET 202 → revoked runs paused. */
  ssf?: RevocationFigures;
  /** SPEC §11: a delegating run (http → child run of one http node) beside a flat run of two http nodes, one at a time. */
  subWorkflow?: { runs: number; children: number; flatMs: number; delegatingMs: number; overheadMs: number };
  /** SPEC §12.1: tenant B's nodes start within 1 s while tenant A floods the queue under its limit. */
  fairness?: FairnessFigures;
  /** The same with tenant A unlimited (`BENCH_FAIRNESS_UNLIMITED=1`), for reference. */
  fairnessUnlimited?: FairnessFigures;
  rows?: FigureRow[];
}

const at = (op: Target['op'], limit: number): Target => ({ op, limit });

/** Every figure of issue 9's Targets table, beside what it is compared with, its ratio and its verdict. */
export function figureRows(r: BenchResult): FigureRow[] {
  const rows: FigureRow[] = [];
  const row = (figure: string, value: number, shown: string, against: string, ratio: string, target: Target | null) =>
    rows.push({ figure, value: shown, against, ratio, target: formatTarget(target), verdict: verdict(value, target) });

  const throughput = throughputOverRounds(r.rounds);
  const baton = throughput.baton;
  const rounds = throughput.ratios.length;
  row(
    `warm steps/s, ${r.load.runs} runs × 5 http steps, api + worker processes, ÷ floor (hand-written, queue hop per step)` +
      (rounds > 1 ? `; medians of ${rounds} rounds, Baton and the floor back to back` : ''),
    throughput.ratio,
    baton.toFixed(1),
    `floor ${throughput.floor.toFixed(1)}` +
      (rounds > 1 ? `; per round ${throughput.ratios.map((x) => x.toFixed(2)).join(', ')}` : ''),
    Number.isFinite(throughput.ratio) ? `${throughput.ratio.toFixed(2)}×` : '-',
    at('≥', 1.2),
  );
  row(
    `÷ before (${BEFORE_STEPS_PER_SECOND} steps/s, issue 9's measurement of the previous engine)`,
    baton / BEFORE_STEPS_PER_SECOND,
    baton.toFixed(1),
    String(BEFORE_STEPS_PER_SECOND),
    formatRatio(baton, BEFORE_STEPS_PER_SECOND),
    at('≥', 4),
  );
  row(
    `raw BullMQ empty jobs/s, concurrency ${r.raw.concurrency} (Baton steps/s ÷ raw)`,
    Number.NaN,
    baton.toFixed(1),
    `raw ${r.raw.jobsPerSecond.toFixed(0)} jobs/s`,
    `${((100 * baton) / r.raw.jobsPerSecond).toFixed(1)} %`,
    null,
  );

  const worker = r.load.worker;
  row(
    'Postgres round trips per warm step, worker (claim, settle, audit; statements sent)',
    worker.statementsPerStep,
    worker.statementsPerStep.toFixed(2),
    `floor ${r.floor.worker.statementsPerStep.toFixed(2)}; worker alone ${r.apiAlone.worker.statementsPerStep.toFixed(2)}`,
    formatRatio(worker.statementsPerStep, r.floor.worker.statementsPerStep),
    at('≤', 1.2),
  );
  row(
    'Postgres transactions per run start, api',
    r.load.api.transactionsPerStart,
    r.load.api.transactionsPerStart.toFixed(2),
    `${r.load.api.statementsPerStart.toFixed(2)} statements; api alone ${r.apiAlone.api.transactionsPerStart.toFixed(2)} tx`,
    '',
    at('≤', 1),
  );
  row(
    'Postgres transactions per step, whole database (pg_stat_database; run starts, sweeper, autovacuum included)',
    Number.NaN,
    r.load.transactionsPerStep.toFixed(2),
    `floor ${r.floor.transactionsPerStep.toFixed(2)}`,
    formatRatio(r.load.transactionsPerStep, r.floor.transactionsPerStep),
    null,
  );
  row(
    'worker CPU per warm step, ms',
    r.load.workerCpuMsPerStep,
    formatMs(r.load.workerCpuMsPerStep),
    `floor worker ${formatMs(r.floor.workerCpuMsPerStep)}; worker alone ${formatMs(r.apiAlone.worker.cpuMsPerStep)}`,
    formatRatio(r.load.workerCpuMsPerStep, r.floor.workerCpuMsPerStep),
    at('≤', 0.5),
  );
  const [bm, fm] = [r.load.machineCpuPerStep, r.floor.machineCpuPerStep];
  if (bm && fm)
    row(
      'machine CPU per warm step, ms: all CPUs busy (every process and the kernel), of which Postgres and Redis',
      Number.NaN,
      formatMs(bm.busyMs),
      `floor ${formatMs(fm.busyMs)}; Postgres ${formatMs(bm.postgresMs)} (floor ${formatMs(fm.postgresMs)}), Redis ${formatMs(bm.redisMs)} (floor ${formatMs(fm.redisMs)}); steal ${formatMs(bm.stealMs)} (floor ${formatMs(fm.stealMs)})`,
      formatRatio(bm.busyMs, fm.busyMs),
      null,
    );
  row(
    'api CPU per run start, ms',
    r.load.apiCpuMsPerStart,
    formatMs(r.load.apiCpuMsPerStart),
    `api alone ${formatMs(r.apiAlone.api.cpuMsPerStart)}`,
    '',
    at('≤', 2.5),
  );
  row(
    `step gap, one run alone, p50 ms (${r.gaps.alone.count} gaps)`,
    r.gaps.alone.p50,
    formatMs(r.gaps.alone.p50),
    completionNote(r.gaps.alone),
    '',
    at('≤', 2),
  );
  row(
    `step gap, one run alone, p99 ms`,
    r.gaps.alone.p99,
    formatMs(r.gaps.alone.p99),
    `max ${formatMs(r.gaps.alone.max)}`,
    '',
    at('≤', 5),
  );
  row(
    `step gap, ${r.load.runs} runs in flight (${String(r.settings.startConcurrency)} starts at a time), p99 ms (${r.gaps.load.count} gaps)`,
    r.gaps.load.p99,
    formatMs(r.gaps.load.p99),
    `p50 ${formatMs(r.gaps.load.p50)}, max ${formatMs(r.gaps.load.max)}${r.gaps.load.completionMs ? `; ${completionNote(r.gaps.load)}` : ''}`,
    '',
    at('≤', 50),
  );

  const samples = r.rss.samples;
  const last = samples[samples.length - 1];
  const flat = rssFlat(samples.map((s) => s.bytes));
  const lastMiB = last ? last.bytes / MiB : Number.NaN;
  rows.push({
    figure: `worker RSS after ${r.rss.steps} steps, MiB (flat: no sample > 15 % above the 10 % one)`,
    value: lastMiB.toFixed(1),
    against:
      samples.map((s) => `${Math.round(s.share * 100)} %: ${(s.bytes / MiB).toFixed(1)}`).join(', ') +
      ` (after warm-up ${(r.rss.afterWarmupBytes / MiB).toFixed(1)})`,
    ratio: flat ? 'flat' : 'growing',
    target: '≤ 150, flat',
    verdict: verdict(lastMiB, at('≤', 150)) === 'PASS' && flat ? 'PASS' : 'MISS',
  });
  row(
    `live events: entry insert → arrival at a client, p95 ms, ${r.live.streams} audit streams connected (${r.live.events} events)`,
    r.live.p95,
    formatMs(r.live.p95),
    `p50 ${formatMs(r.live.p50)}, max ${formatMs(r.live.max)}`,
    '',
    at('≤', 250),
  );
  if (r.subWorkflow) {
    const w = r.subWorkflow;
    row(
      `sub-workflow overhead per child run, ms: median run time of http → workflow (child: one http node) − of two http nodes in one run (${w.runs} each, one at a time)`,
      w.overheadMs,
      formatMs(w.overheadMs),
      `delegating ${formatMs(w.delegatingMs)}, flat ${formatMs(w.flatMs)}; ${w.children} child runs succeeded`,
      '',
      null,
    );
  }
  if (r.ssf) rows.push(...revocationRows(r.ssf));
  if (r.fairness) rows.push(...fairnessRows(r.fairness, r.fairnessUnlimited));
  return rows;
}

/**
 * The fairness phase's rows: tenant B's first-node start latency against SPEC §12.1's 1 s, tenant
 * A's concurrency against its limit (seen downstream), and A's throughput under the limit.
 */
export function fairnessRows(f: FairnessFigures, unlimited?: FairnessFigures): FigureRow[] {
  const bound = at('≤', 1000);
  const limited = f.limit === null ? 'unlimited' : `maxConcurrentNodes ${f.limit}`;
  const reference = unlimited
    ? `; A unlimited: p99 ${formatMs(unlimited.first.p99)}, max ${formatMs(unlimited.first.max)}`
    : '';
  const rows: FigureRow[] = [
    {
      figure:
        `tenant B's first node, ready (run.started) → node.started, p99 ms: ${f.first.count} runs one at a time while tenant A (${limited}) ` +
        `floods with ${f.floodRuns} runs of ${f.nodesPerRun} http steps (downstream ${f.downstreamMs} ms; ${f.floodBacklogAtFirst} → ${f.floodBacklogAtLast} of A's nodes waiting, ` +
        `${f.quietUnderFlood} of B's runs started under the backlog)`,
      value: formatMs(f.first.p99),
      against:
        `p50 ${formatMs(f.first.p50)}, max ${formatMs(f.first.max)}; every node of B (queued → started): p99 ${formatMs(f.every.p99)}, ` +
        `max ${formatMs(f.every.max)} (${f.every.count}); ${f.neverStarted} never started${reference}`,
      ratio: '',
      target: formatTarget(bound),
      verdict: f.neverStarted > 0 ? 'MISS' : verdict(f.first.p99, bound),
    },
  ];
  if (f.limit !== null) {
    const cap = at('≤', f.limit);
    rows.push({
      figure: `tenant A's nodes in flight at once during the flood, most seen downstream (its limit ${f.limit})`,
      value: String(f.floodMaxInFlight),
      against: `Postgres, sampled every 50 ms: at most ${f.floodMaxSlots} slots held, ${f.floodMaxRunning} nodes running`,
      ratio: '',
      target: formatTarget(cap),
      verdict: Math.max(f.floodMaxInFlight, f.floodMaxRunning) > f.limit ? 'MISS' : verdict(f.floodMaxSlots, cap),
    });
  }
  rows.push({
    figure: `tenant A's steps/s while tenant B's runs went by (${limited})`,
    value: f.floodStepsPerSecond.toFixed(1),
    against:
      `A's run starts accepted ${f.floodStartsPerSecond.toFixed(0)}/s; B's start 202 p50 ${formatMs(f.quietStartP50)} ms` +
      (unlimited ? `; A unlimited: ${unlimited.floodStepsPerSecond.toFixed(1)} steps/s` : ''),
    ratio: '',
    target: formatTarget(null),
    verdict: 'n/a',
  });
  return rows;
}

/** `BENCH_ONLY=fairness`: the fairness rows alone. */
export function printFairnessReport(
  at: string,
  quick: boolean,
  fairness: FairnessFigures,
  unlimited?: FairnessFigures,
): void {
  const rows = fairnessRows(fairness, unlimited);
  const out = process.stdout;
  out.write(
    `\nBaton tenant fairness bench${quick ? ' — QUICK smoke run: too small to mean anything' : ''} (${at})\n\n`,
  );
  out.write(`${plainTable(rows)}\n\nMarkdown:\n\n${markdownTable(rows)}\n\n`);
}

/** The revocation phase's rows: the pause latency against SPEC §10.3's 1 s, and the late calls (must be none). */
export function revocationRows(s: RevocationFigures): FigureRow[] {
  const bound = at('≤', 1000);
  const p99Verdict = s.neverPaused > 0 ? 'MISS' : verdict(s.p99, bound);
  return [
    {
      figure: `SET accepted (202) → run paused (token_revoked escalation), p99 ms: ${s.paused} runs of ${s.revokedUsers} users revoked, ${s.inFlight} runs of ${s.users} users in flight (${s.stepsPerRun} http steps each, downstream ${s.downstreamMs} ms)`,
      value: formatMs(s.p99),
      against:
        `p50 ${formatMs(s.p50)}, max ${formatMs(s.max)}; ${s.pausedBeforeAccepted} paused before the 202; ` +
        `${s.endedInstead} ended instead (last call in flight); ${s.neverPaused} never paused; 202 in p50 ${formatMs(s.acceptP50)}, max ${formatMs(s.acceptMax)}`,
      ratio: '',
      target: formatTarget(bound),
      verdict: p99Verdict,
    },
    {
      figure: 'downstream calls of a revoked user arriving > 1 s after the 202',
      value: String(s.lateCalls),
      against: `${s.callsWithinBound} within 1 s (already claimed or in flight)`,
      ratio: '',
      target: formatTarget(at('≤', 0)),
      verdict: verdict(s.lateCalls, at('≤', 0)),
    },
  ];
}

/** `BENCH_ONLY=ssf`: the revocation rows alone. */
export function printRevocationReport(at: string, quick: boolean, ssf: RevocationFigures): void {
  const rows = revocationRows(ssf);
  const out = process.stdout;
  out.write(`\nBaton revocation bench${quick ? ' — QUICK smoke run: too small to mean anything' : ''} (${at})\n\n`);
  out.write(`${plainTable(rows)}\n\nMarkdown:\n\n${markdownTable(rows)}\n\n`);
}

export function printReport(r: BenchResult): void {
  const rows = r.rows ?? figureRows(r);
  const out = process.stdout;
  out.write(`\nBaton engine bench${r.quick ? ' — QUICK smoke run: too small to mean anything' : ''} (${r.at})\n`);
  out.write(
    `${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.platform}, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}\n`,
  );
  out.write(
    `settings: ${Object.entries(r.settings)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ')}\n\n`,
  );
  out.write(`${plainTable(rows)}\n\n`);
  out.write(`Markdown:\n\n${markdownTable(rows)}\n\n`);
  out.write(
    `phases: Baton ${r.load.steps} steps in ${r.load.seconds.toFixed(2)} s; floor ${r.floor.steps} steps in ${r.floor.seconds.toFixed(2)} s; ` +
      `raw BullMQ ${r.raw.jobs} jobs in ${r.raw.seconds.toFixed(2)} s\n`,
  );
  if (r.rounds.length > 1)
    out.write(
      `throughput rounds (steps/s, Baton/floor, back to back, alternating which goes first): ${r.rounds
        .map((x) => `${x.baton.toFixed(0)}/${x.floor.toFixed(0)}`)
        .join(', ')}\n`,
    );
  if (r.rss.memory) out.write(`\nworker memory after the RSS phase: ${describeMemory(r.rss.memory)}\n`);
  if (r.profile) out.write(`\n${profileTables(r.profile)}\n`);
}

function completionNote(gaps: GapFigures): string {
  return gaps.completionMs ? `completion round trip mean ${formatMs(gaps.completionMs)}` : '—';
}

function describeMemory(m: MemoryBreakdown): string {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const spaces = Object.entries(m.heapSpaces)
    .map(([space, bytes]) => `${space} ${mib(bytes)}`)
    .join(', ');
  return `RSS ${mib(m.rssBytes)}; V8 heap ${mib(m.heapTotalBytes)} (used ${mib(m.heapUsedBytes)}: ${spaces}); external ${mib(m.externalBytes)}`;
}

/**
 * Markdown tables of where the CPU goes: per component, ms per warm step for the worker and per run
 * start for the api (the profiled phase's self time ÷ its steps or runs), and the hottest functions.
 */
export function profileTables(p: NonNullable<BenchResult['profile']>, top = 12): string {
  const share = (summary: ProfileSummary, per: number, what: string) => {
    const lines = [
      `| component | ms ${what} | share |`,
      '|---|---|---|',
      ...summary.components
        .slice(0, top)
        .map((c) => `| ${c.name} | ${(c.ms / per).toFixed(3)} | ${((100 * c.ms) / summary.busyMs).toFixed(1)} % |`),
      `| **all (sampled, not idle)** | **${(summary.busyMs / per).toFixed(3)}** | 100 % |`,
    ];
    const hottest = [
      `| function (self time) | ms ${what} |`,
      '|---|---|',
      ...summary.functions
        .slice(0, top)
        .map((f) => `| \`${f.name.replaceAll('|', '\\|')}\` | ${(f.ms / per).toFixed(3)} |`),
    ];
    return `${lines.join('\n')}\n\n${hottest.join('\n')}`;
  };
  return [
    `CPU profile of the worker (${p.steps} steps):\n`,
    share(p.worker, p.steps, 'per step'),
    `\nCPU profile of the api (${p.runs} run starts):\n`,
    share(p.api, p.runs, 'per run start'),
  ].join('\n');
}
