/**
 * The bench's arithmetic, kept pure so a spec can check it: percentiles, step gaps from the resource
 * server's log, /proc parsing, CPU and transaction figures per unit, and the verdict of a figure
 * against the target.
 */

/** Nearest-rank percentile (p in 0–100) of a sample; NaN when it is empty. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Median (the mean of the two middle values for an even count); NaN when empty. */
export function median(sample: readonly number[]): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Baton's and the floor's steps/s in one round of the throughput phases, measured back to back. */
export interface ThroughputRound {
  baton: number;
  floor: number;
}

/**
 * The throughput figure over interleaved rounds: the machine's speed drifts by ±15 % within
 * minutes, so one Baton phase beside one floor phase a minute later says as much about the drift as
 * about the two. Each round's ratio compares phases seconds apart; the figure is their median.
 */
export function throughputOverRounds(rounds: readonly ThroughputRound[]): {
  baton: number;
  floor: number;
  ratio: number;
  ratios: number[];
} {
  const ratios = rounds.map((r) => r.baton / r.floor);
  return {
    baton: median(rounds.map((r) => r.baton)),
    floor: median(rounds.map((r) => r.floor)),
    ratio: median(ratios),
    ratios,
  };
}

/** One downstream call as the resource server saw it (times in ms on one monotonic clock). */
export interface CallRecord {
  runId: string;
  /** Position of the node in its run (step1 → 1). */
  step: number;
  arrivedMs: number;
  answeredMs: number;
}

/** `Idempotency-Key: <runId>:<nodeId>` (SPEC §4) → run id and the node's position (`stepN`); null for anything else. */
export function parseIdempotencyKey(key: string | undefined): { runId: string; step: number } | null {
  if (!key) return null;
  const at = key.lastIndexOf(':');
  if (at <= 0) return null;
  const match = /^step(\d+)$/.exec(key.slice(at + 1));
  return match ? { runId: key.slice(0, at), step: Number(match[1]) } : null;
}

/**
 * Step gaps: for each run, the time from the resource server answering step k to it receiving step
 * k+1 (ms). A step seen twice (a retry) counts its last answer and its first arrival; runs missing
 * a step contribute the gaps they have.
 */
export function stepGaps(records: readonly CallRecord[]): number[] {
  const byRun = new Map<string, Map<number, { arrived: number; answered: number }>>();
  for (const r of records) {
    let steps = byRun.get(r.runId);
    if (!steps) byRun.set(r.runId, (steps = new Map()));
    const seen = steps.get(r.step);
    if (!seen) steps.set(r.step, { arrived: r.arrivedMs, answered: r.answeredMs });
    else
      steps.set(r.step, {
        arrived: Math.min(seen.arrived, r.arrivedMs),
        answered: Math.max(seen.answered, r.answeredMs),
      });
  }
  const gaps: number[] = [];
  for (const steps of byRun.values()) {
    for (const [step, call] of steps) {
      const previous = steps.get(step - 1);
      if (previous) gaps.push(call.arrived - previous.answered);
    }
  }
  return gaps;
}

/** utime + stime (clock ticks) from the text of /proc/<pid>/stat; the command name may hold spaces or parentheses. */
export function parseProcStatTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the man page, utime 14 and stime 15 → indexes 11 and 12 here.
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error('unexpected /proc/<pid>/stat format');
  return ticks;
}

/** Resident set size in bytes from the text of /proc/<pid>/status (`VmRSS: 123456 kB`). */
export function parseVmRssBytes(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(match[1]) * 1024;
}

/** Linux reports process CPU time in clock ticks of 1/100 s on every common kernel. */
export const TICKS_PER_SECOND = 100;

/** CPU milliseconds per unit of work from a tick difference. */
export function cpuMsPer(ticks: number, units: number, ticksPerSecond = TICKS_PER_SECOND): number {
  return units > 0 ? (ticks * 1000) / ticksPerSecond / units : Number.NaN;
}

/**
 * Transactions committed in a database during a phase that the apps sent: the pg_stat_database
 * difference minus the bench's own (polls and readings on its connection), per unit of work.
 */
export function transactionsPer(before: number, after: number, benchOwn: number, units: number): number {
  return units > 0 ? Math.max(0, after - before - benchOwn) / units : Number.NaN;
}

/** Whether RSS stayed flat: no later sample above the first by more than `tolerance` (a share). */
export function rssFlat(samples: readonly number[], tolerance = 0.15): boolean {
  if (samples.length < 2) return false;
  const first = samples[0]!;
  return samples.every((s) => s <= first * (1 + tolerance));
}

/** A target: `value` must be at most or at least `limit`. */
export interface Target {
  op: '≤' | '≥';
  limit: number;
}

export type Verdict = 'PASS' | 'MISS' | 'n/a';

export function verdict(value: number, target: Target | null): Verdict {
  if (!target || !Number.isFinite(value)) return 'n/a';
  return (target.op === '≤' ? value <= target.limit : value >= target.limit) ? 'PASS' : 'MISS';
}

/** One line of the figures table. */
export interface FigureRow {
  figure: string;
  /** The measured value, formatted. */
  value: string;
  /** What it is compared with (a ceiling measured in the same run, or the earlier figure). */
  against: string;
  /** value ÷ against, formatted, or '' when there is nothing to divide by. */
  ratio: string;
  /** The target, e.g. `≤ 1.2`. */
  target: string;
  verdict: Verdict;
}

/** `x ÷ y` as e.g. `1.34×`; '-' when either is not a positive finite number. */
export function formatRatio(x: number, y: number): string {
  if (!(Number.isFinite(x) && Number.isFinite(y)) || y <= 0) return '-';
  return `${(x / y).toFixed(2)}×`;
}

/** Milliseconds: two decimals under 10 ms, one above, '-' for NaN. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

export function formatTarget(target: Target | null): string {
  return target ? `${target.op} ${target.limit}` : '—';
}

/** The table as GitHub markdown (for the README). Pipes inside cells are escaped. */
export function markdownTable(rows: readonly FigureRow[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| figure | Baton | ceiling / reference | ratio | target | |', '|---|---|---|---|---|---|'];
  for (const r of rows)
    lines.push(`| ${[r.figure, r.value, r.against, r.ratio, r.target, r.verdict].map(cell).join(' | ')} |`);
  return lines.join('\n');
}

/** The table padded for a terminal. */
export function plainTable(rows: readonly FigureRow[]): string {
  const header: FigureRow = {
    figure: 'figure',
    value: 'Baton',
    against: 'ceiling / reference',
    ratio: 'ratio',
    target: 'target',
    verdict: '' as Verdict,
  };
  const all = [header, ...rows];
  const keys = ['figure', 'value', 'against', 'ratio', 'target', 'verdict'] as const;
  const widths = keys.map((k) => Math.max(...all.map((r) => String(r[k]).length)));
  return all
    .map((r) =>
      keys
        .map((k, i) => String(r[k]).padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One run a security event revoked, as the bench read it back (times in ms since the epoch: the bench's and Postgres's clock). */
export interface RevokedRunRecord {
  runId: string;
  /** When the SET naming its user was answered 202. */
  acceptedAtMs: number;
  /** The `at` of its `token_revoked` escalation's `escalation.created` audit row; null when it did not pause. */
  pausedAtMs: number | null;
  /** It ended instead of pausing (its last call was in flight when the SET came: that result stands). */
  ended: boolean;
}

export interface PauseLatencies {
  /** Per paused run, 202 → paused in ms; 0 when it was paused before the 202 reached the bench. */
  latencies: number[];
  /** Runs paused before the 202 reached the bench (in the SET's own transaction). */
  pausedBeforeAccepted: number;
  endedInstead: number;
  /** Neither paused nor ended when the bench stopped waiting: a failure of the bound. */
  neverPaused: number;
}

/** SPEC §10.3's "within 1 s of the 202": how long each revoked run took to pause. */
export function pauseLatencies(records: readonly RevokedRunRecord[]): PauseLatencies {
  const latencies: number[] = [];
  let pausedBeforeAccepted = 0;
  let endedInstead = 0;
  let neverPaused = 0;
  for (const r of records) {
    if (r.pausedAtMs !== null) {
      const ms = r.pausedAtMs - r.acceptedAtMs;
      if (ms <= 0) pausedBeforeAccepted++;
      latencies.push(Math.max(0, ms));
    } else if (r.ended) endedInstead++;
    else neverPaused++;
  }
  return { latencies, pausedBeforeAccepted, endedInstead, neverPaused };
}

/**
 * Downstream calls of revoked runs after their SET's 202 (times on the bench's monotonic clock):
 * `late` arrived more than `boundMs` after it (SPEC §10.3: must be none), `within` before that (calls
 * whose token was taken, or already sent, when the event came).
 */
export function callsAfterRevocation(
  calls: readonly { runId: string; arrivedMs: number }[],
  acceptedByRun: ReadonlyMap<string, number>,
  boundMs = 1000,
): { late: number; within: number } {
  let late = 0;
  let within = 0;
  for (const call of calls) {
    const accepted = acceptedByRun.get(call.runId);
    if (accepted === undefined || call.arrivedMs <= accepted) continue;
    if (call.arrivedMs - accepted > boundMs) late++;
    else within++;
  }
  return { late, within };
}

/** p50, p99 and max of a sample of latencies (ms), with its size. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarizeLatencies(sample: readonly number[]): LatencySummary {
  return {
    count: sample.length,
    p50: percentile(sample, 50),
    p99: percentile(sample, 99),
    max: percentile(sample, 100),
  };
}

/**
 * SPEC §12.1's "started within 1 s of becoming ready": per node, ready → started (ms since the
 * epoch, both Postgres's clock); a node not started at all is counted apart, not as a latency.
 */
export function readinessLatencies(nodes: readonly { readyMs: number; startedMs: number | null }[]): {
  summary: LatencySummary;
  neverStarted: number;
} {
  const latencies: number[] = [];
  let neverStarted = 0;
  for (const n of nodes) {
    if (n.startedMs === null) neverStarted++;
    else latencies.push(Math.max(0, n.startedMs - n.readyMs));
  }
  return { summary: summarizeLatencies(latencies), neverStarted };
}
