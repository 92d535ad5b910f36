import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchOptions } from './bench-options.js';
import type { PhaseResult } from './phase-runner.js';
import type { RawBullmqResult } from './raw-bullmq.js';

export interface Machine {
  node: string;
  cpus: number;
  cpuModel: string;
  platform: string;
  postgres: string;
  redis: string;
}

export interface Target {
  what: string;
  limit: string;
  value: string;
  pass: boolean;
}

export interface BenchResult {
  at: string;
  machine: Machine;
  settings: Record<string, unknown>;
  raw: RawBullmqResult;
  rawChained: RawBullmqResult;
  phases: (PhaseResult & { percentOfRaw: number })[];
  targets: Target[];
  method: string[];
}

/** The issue's targets: ≤ 2 transactions per step on the warm path, ≥ 25 % of the raw BullMQ rate. */
export function evaluateTargets(warm: (PhaseResult & { percentOfRaw: number }) | undefined): Target[] {
  if (!warm) return [];
  return [
    {
      what: 'warm: Postgres transactions per node step (worker: claim + settle)',
      limit: '≤ 2',
      value: warm.transactions.perStepWorker.toFixed(2),
      pass: warm.transactions.perStepWorker <= 2.0001,
    },
    {
      what: 'warm: Postgres transactions per step, everything (pg_stat_database, run starts included)',
      limit: '≤ 2',
      value: warm.transactions.perStep.toFixed(2),
      pass: warm.transactions.perStep <= 2.0001,
    },
    {
      what: 'warm: end-to-end steps/s as a share of raw BullMQ jobs/s',
      limit: '≥ 25 %',
      value: `${warm.percentOfRaw.toFixed(1)} %`,
      pass: warm.percentOfRaw >= 25,
    },
  ];
}

/** How each figure is obtained, printed under the tables and kept in the JSON. */
export function methodNotes(options: BenchOptions): string[] {
  return [
    'steps/s = runs × 5 / (first POST /v1/workflows/{name}/runs sent → max(finished_at) of the phase\'s runs); runs are started over HTTP through the API, so run starts are inside the time. Before each phase: VACUUM (ANALYZE) of runs, node_runs and audit_entries (not timed).',
    'tx/step = pg_stat_database.xact_commit difference over the phase minus the bench\'s own polling and reading transactions, ÷ steps: run starts (API), node steps (worker) and upkeep (sweeper) included. Each reading waits until every backend has published its counters (checked against the client-side count).',
    options.stepProfile !== 'off'
      ? 'tx/step worker = transactions issued inside NodeRunner.run (claim and settle), counted client-side at pg.Client.query and attributed with AsyncLocalStorage; "unattributed" is the pg_stat figure minus the client-side total (connection start-ups, autovacuum).'
      : 'tx/step worker = transactions on the worker\'s pool (sweeper included; BENCH_STEP_PROFILE=off, so no per-step attribution), counted client-side at pg.Client.query; "unattributed" is the pg_stat figure minus the client-side total.',
    'raw BullMQ = a Queue and a Worker in this process on the same Redis and prefix, the node processor\'s concurrency and lock settings, empty jobs with the node jobs\' options, added in bulk (batches of 1000) while the worker runs, first add → last completion: the ceiling the ratio is taken against. "chained" (for reference): each empty job adds the next of its chain of 5 from inside the processor, one add per job, as node steps do.',
    'CPU: this process (process.cpuUsage, every thread; it hosts the API, the worker, the authorization server, the resource server and the bench), this database\'s Postgres backends, Postgres\'s shared processes and Redis (/proc/<pid>/stat), the machine (/proc/stat); "other programs" is user and system time none of those account for, from first start to last finish.',
    ...(options.stepProfile === 'timings'
      ? ['timings: mean milliseconds per step spent in each part (sums over concurrent steps, so they exceed wall time ÷ steps); queue wait = job added → processor called. Timing every step slows the process, so the steps/s of this run read low.']
      : []),
  ];
}

export function printReport(result: BenchResult, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
  const m = result.machine;
  out('');
  out(`Baton bench — ${result.at}`);
  out(`node ${m.node} · ${m.cpus} CPUs (${m.cpuModel}) · ${m.platform} · PostgreSQL ${m.postgres} · Redis ${m.redis}`);
  out(`everything in one process: API, worker, dev authorization server, resource server, bench; ${Object.entries(result.settings).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  out('');
  const rows: string[][] = [['phase', 'runs', 'steps', 'seconds', 'steps/s', 'tx/step', 'tx/step worker', 'exchanges', '% of raw BullMQ']];
  for (const p of result.phases) {
    rows.push([
      p.name,
      String(p.runs),
      String(p.steps),
      p.seconds.toFixed(2),
      p.stepsPerSecond.toFixed(1),
      p.transactions.perStep.toFixed(2),
      p.transactions.perStepWorker.toFixed(2),
      String(p.exchanges),
      `${p.percentOfRaw.toFixed(1)} %`,
    ]);
  }
  rows.push(['raw BullMQ, bulk (ceiling)', '', String(result.raw.jobs), result.raw.seconds.toFixed(2), `${result.raw.jobsPerSecond.toFixed(0)} jobs/s`, '', '', '', '100 %']);
  const chained = result.rawChained;
  rows.push(['raw BullMQ, chained by 5', '', String(chained.jobs), chained.seconds.toFixed(2), `${chained.jobsPerSecond.toFixed(0)} jobs/s`, '', '', '', `${((100 * chained.jobsPerSecond) / result.raw.jobsPerSecond).toFixed(1)} %`]);
  table(rows, out);
  out('');
  for (const p of result.phases) out(`  ${p.name}: ${p.description}`);
  out('');
  out('Round trips (per node step unless said otherwise):');
  const trips: string[][] = [['phase', 'pg statements/step (worker)', 'pg statements/run start', 'tx/run start', 'redis commands/step', 'all starts answered after s']];
  for (const p of result.phases) {
    trips.push([p.name, p.statements.perStepWorker.toFixed(1), p.statements.perRunStart.toFixed(1), p.transactions.perRunStart.toFixed(2), p.redisCommandsPerStep.toFixed(1), p.startSeconds.toFixed(2)]);
  }
  table(trips, out);
  if (result.settings.stepProfile === 'timings') {
    out('');
    out('Where a step\'s time goes (mean ms per node step, summed over concurrent steps; run start per run):');
    const detail: string[][] = [['phase', 'run start', 'queue wait', 'claim', 'execute', '(exchange)', 'settle', 'enqueue', 'pool wait']];
    for (const p of result.phases) {
      const ms = (k: string) => (p.meanMs[k] ?? 0).toFixed(2);
      detail.push([p.name, ms('run-start'), ms('queue-wait'), ms('claim'), ms('execute'), ms('exchange'), ms('settle'), ms('enqueue'), ((p.timings['pool-wait/worker']?.totalMs ?? 0) / p.steps).toFixed(2)]);
    }
    table(detail, out);
  }
  out('');
  out('CPU per node step (ms), first start → last finish:');
  const cpu: string[][] = [['phase', 'this process', 'event loop busy', 'postgres backends', 'postgres shared', 'redis', 'irq+softirq', 'steal', 'other programs', 'machine busy']];
  for (const p of result.phases) {
    const c = p.cpu;
    cpu.push([p.name, c.nodeMsPerStep.toFixed(2), `${(100 * c.eventLoopUtilization).toFixed(0)} %`, c.postgresMsPerStep.toFixed(2), c.postgresSharedMsPerStep.toFixed(2), c.redisMsPerStep.toFixed(2), c.interruptMsPerStep.toFixed(2), c.stealMsPerStep.toFixed(2), c.otherMsPerStep.toFixed(2), `${(100 * c.machineBusy).toFixed(0)} % of ${result.machine.cpus} CPUs`]);
  }
  table(cpu, out);
  out('');
  out('Transactions per phase (pg_stat_database.xact_commit difference, bench queries taken out):');
  const tx: string[][] = [['phase', 'pg_stat', 'node steps', 'run starts', 'other (sweeper…)', 'unattributed', 'bench own (removed)', 'rollbacks', 'autovacuum runs', 'connections opened']];
  for (const p of result.phases) {
    const t = p.transactions;
    tx.push([p.name, String(t.pgStat), String(t.nodeSteps), String(t.runStarts), String(t.other), String(t.unattributed), String(t.benchOwn), String(t.pgStatRollbacks), String(t.autovacuumRuns), String(t.sessionsOpened)]);
  }
  table(tx, out);
  out('');
  const unsettled = result.phases.filter((p) => !p.transactions.settled).map((p) => p.name);
  if (unsettled.length > 0) {
    out(`  ! ${unsettled.join(', ')}: a pg_stat reading never matched the client-side count; the pg_stat figures may be off by a few transactions.`);
    out('');
  }
  out('Targets (informational):');
  for (const t of result.targets) out(`  [${t.pass ? 'PASS' : 'FAIL'}] ${t.what}: ${t.value} (target ${t.limit})`);
  out('');
  for (const line of result.method) out(`  · ${line}`);
  out('');
}

export function writeResult(path: string, result: BenchResult): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
}

function table(rows: string[][], out: (line: string) => void): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  rows.forEach((r, i) => {
    out(`  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`);
    if (i === 0) out(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  });
}
