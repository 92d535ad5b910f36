import { describe, expect, it } from '@jest/globals';
import {
  callsAfterRevocation,
  cpuMsPer,
  formatMs,
  formatRatio,
  markdownTable,
  median,
  parseIdempotencyKey,
  parseProcStatTicks,
  parseVmRssBytes,
  pauseLatencies,
  percentile,
  plainTable,
  readinessLatencies,
  rssFlat,
  stepGaps,
  throughputOverRounds,
  transactionsPer,
  verdict,
  type FigureRow,
} from './figures.js';
import { benchOptions } from './bench-options.js';
import { successorsOf } from './floor.js';
import { fairnessRows, revocationRows, type FairnessFigures, type RevocationFigures } from './report.js';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe('throughputOverRounds', () => {
  it('takes the median of the per-round ratios, not the ratio of the medians', () => {
    // The machine slowed down in round 2 for both: the per-round ratios stay 1.2.
    const figure = throughputOverRounds([
      { baton: 600, floor: 500 },
      { baton: 360, floor: 300 },
      { baton: 540, floor: 450 },
    ]);
    expect(figure.ratios.map((r) => r.toFixed(2))).toEqual(['1.20', '1.20', '1.20']);
    expect(figure.ratio).toBeCloseTo(1.2);
    expect(figure.baton).toBe(540);
    expect(figure.floor).toBe(450);
  });

  it('is the single round when there is one', () => {
    expect(throughputOverRounds([{ baton: 450, floor: 500 }])).toMatchObject({ ratio: 0.9, baton: 450, floor: 500 });
  });

  it('is not moved by one outlying round', () => {
    const figure = throughputOverRounds([
      { baton: 500, floor: 500 },
      { baton: 200, floor: 500 },
      { baton: 510, floor: 500 },
    ]);
    expect(figure.ratio).toBe(1);
  });
});

describe('percentile', () => {
  it('takes the nearest rank of the sorted sample', () => {
    const sample = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(sample, 50)).toBe(5);
    expect(percentile(sample, 99)).toBe(10);
    expect(percentile(sample, 100)).toBe(10);
    expect(percentile(sample, 0)).toBe(1);
    expect(percentile(sample, 10)).toBe(1);
    expect(percentile(sample, 11)).toBe(2);
  });

  it('is NaN for an empty sample and leaves the sample unsorted', () => {
    expect(percentile([], 50)).toBeNaN();
    const sample = [3, 1, 2];
    percentile(sample, 50);
    expect(sample).toEqual([3, 1, 2]);
  });
});

describe('parseIdempotencyKey', () => {
  it('splits <runId>:<nodeId> into the run and the step position', () => {
    expect(parseIdempotencyKey('0b1c-uuid:step3')).toEqual({ runId: '0b1c-uuid', step: 3 });
    expect(parseIdempotencyKey('a:b:step12')).toEqual({ runId: 'a:b', step: 12 });
  });

  it('ignores keys that are not a bench step', () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey('')).toBeNull();
    expect(parseIdempotencyKey(':step1')).toBeNull();
    expect(parseIdempotencyKey('run:fetch')).toBeNull();
    expect(parseIdempotencyKey('run-without-node')).toBeNull();
  });
});

describe('stepGaps', () => {
  it('measures answer of step k → arrival of step k+1 within each run only', () => {
    const gaps = stepGaps([
      { runId: 'a', step: 1, arrivedMs: 0, answeredMs: 1 },
      { runId: 'b', step: 1, arrivedMs: 0.5, answeredMs: 2 },
      { runId: 'a', step: 2, arrivedMs: 4, answeredMs: 5 },
      { runId: 'b', step: 2, arrivedMs: 12, answeredMs: 13 },
      { runId: 'a', step: 3, arrivedMs: 5.5, answeredMs: 6 },
    ]);
    expect(gaps.sort((x, y) => x - y)).toEqual([0.5, 3, 10]);
  });

  it('skips a step whose predecessor it never saw, and folds a repeated step into one', () => {
    const gaps = stepGaps([
      { runId: 'a', step: 2, arrivedMs: 10, answeredMs: 11 },
      { runId: 'a', step: 4, arrivedMs: 20, answeredMs: 21 },
      { runId: 'r', step: 1, arrivedMs: 0, answeredMs: 1 },
      { runId: 'r', step: 1, arrivedMs: 5, answeredMs: 6 },
      { runId: 'r', step: 2, arrivedMs: 8, answeredMs: 9 },
    ]);
    expect(gaps).toEqual([2]);
  });
});

describe('/proc parsing', () => {
  it('reads utime + stime even when the command name holds spaces and parentheses', () => {
    const rest = [
      'S',
      '1',
      '2',
      '3',
      '0',
      '-1',
      '4194560',
      '100',
      '0',
      '0',
      '0',
      '250',
      '37',
      '0',
      '0',
      '20',
      '0',
      '11',
    ].join(' ');
    expect(parseProcStatTicks(`4242 (node (main) x) ${rest}`)).toBe(287);
  });

  it('refuses a stat line it cannot read', () => {
    expect(() => parseProcStatTicks('4242 (node) S')).toThrow(/format/);
  });

  it('reads VmRSS in bytes', () => {
    expect(parseVmRssBytes('Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t  153600 kB\nThreads:\t11\n')).toBe(153600 * 1024);
    expect(() => parseVmRssBytes('Name:\tnode\n')).toThrow(/VmRSS/);
  });
});

describe('per-unit figures', () => {
  it('turns clock ticks into CPU ms per unit', () => {
    expect(cpuMsPer(50, 1000)).toBeCloseTo(0.5);
    expect(cpuMsPer(1, 1, 1000)).toBe(1);
    expect(cpuMsPer(10, 0)).toBeNaN();
  });

  it('takes the bench’s own transactions out of the pg_stat difference', () => {
    expect(transactionsPer(1000, 2300, 100, 1000)).toBeCloseTo(1.2);
    expect(transactionsPer(1000, 1000, 5, 10)).toBe(0);
    expect(transactionsPer(0, 10, 0, 0)).toBeNaN();
  });
});

describe('rssFlat', () => {
  it('is flat while no sample grows more than the tolerance over the first', () => {
    expect(rssFlat([100, 110, 114])).toBe(true);
    expect(rssFlat([100, 90, 95])).toBe(true);
    expect(rssFlat([100, 110, 116])).toBe(false);
    expect(rssFlat([100, 140, 100], 0.5)).toBe(true);
  });

  it('needs two samples to say anything', () => {
    expect(rssFlat([100])).toBe(false);
    expect(rssFlat([])).toBe(false);
  });
});

describe('verdict', () => {
  it('compares against at-most and at-least targets, the limit itself passing', () => {
    expect(verdict(1.2, { op: '≤', limit: 1.2 })).toBe('PASS');
    expect(verdict(1.21, { op: '≤', limit: 1.2 })).toBe('MISS');
    expect(verdict(4, { op: '≥', limit: 4 })).toBe('PASS');
    expect(verdict(3.99, { op: '≥', limit: 4 })).toBe('MISS');
  });

  it('has nothing to say without a target or a figure', () => {
    expect(verdict(1, null)).toBe('n/a');
    expect(verdict(Number.NaN, { op: '≤', limit: 1 })).toBe('n/a');
  });
});

describe('formatting', () => {
  it('formats ratios and milliseconds', () => {
    expect(formatRatio(600, 400)).toBe('1.50×');
    expect(formatRatio(1, 0)).toBe('-');
    expect(formatRatio(Number.NaN, 1)).toBe('-');
    expect(formatMs(1.234)).toBe('1.23');
    expect(formatMs(12.34)).toBe('12.3');
    expect(formatMs(Number.NaN)).toBe('-');
  });

  const rows: FigureRow[] = [
    {
      figure: 'steps/s ÷ floor',
      value: '500.0',
      against: 'floor 400.0',
      ratio: '1.25×',
      target: '≥ 1.2',
      verdict: 'PASS',
    },
    { figure: 'a | b', value: '1', against: '—', ratio: '', target: '—', verdict: 'n/a' },
  ];

  it('prints a markdown table with one line per figure and pipes escaped', () => {
    const lines = markdownTable(rows).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('|---|---|---|---|---|---|');
    expect(lines[2]).toBe('| steps/s ÷ floor | 500.0 | floor 400.0 | 1.25× | ≥ 1.2 | PASS |');
    expect(lines[3]).toContain('a \\| b');
  });

  it('pads the terminal table into columns', () => {
    const lines = plainTable(rows).split('\n');
    expect(lines).toHaveLength(3);
    const column = lines[0]!.indexOf('Baton');
    expect(lines[1]!.indexOf('500.0')).toBe(column);
  });
});

describe('benchOptions', () => {
  it('defaults to the issue’s workload', () => {
    const o = benchOptions({}, []);
    expect(o).toMatchObject({
      quick: false,
      runs: 200,
      concurrency: 20,
      rssSteps: 100_000,
      rawConcurrency: 10,
      throughputRounds: 5,
    });
  });

  it('shrinks every phase with --quick or BENCH_QUICK=1, explicit settings still winning', () => {
    expect(benchOptions({}, ['--quick'])).toMatchObject({ quick: true, runs: 20, rssSteps: 2000, throughputRounds: 2 });
    expect(benchOptions({ BENCH_QUICK: '1', BENCH_RSS_STEPS: '500' }, [])).toMatchObject({
      quick: true,
      rssSteps: 500,
    });
  });

  it('picks one phase with BENCH_ONLY and refuses a phase it does not know', () => {
    expect(benchOptions({ BENCH_ONLY: 'fairness' }, [])).toMatchObject({ only: 'fairness', fairnessRuns: 1000 });
    expect(benchOptions({ BENCH_ONLY: '' }, []).only).toBeNull();
    expect(() => benchOptions({ BENCH_ONLY: 'load' }, [])).toThrow(/BENCH_ONLY must be one of ssf, fairness/);
  });

  it('refuses a setting that is not a positive integer', () => {
    expect(() => benchOptions({ BENCH_RUNS: '0' }, [])).toThrow(/BENCH_RUNS/);
    expect(() => benchOptions({ BENCH_RSS_STEPS: '1e5' }, [])).toThrow(/BENCH_RSS_STEPS/);
  });
});

describe('floor successors', () => {
  it('names the next node of the linear chain with its one dependency, nothing after the last', () => {
    expect(JSON.parse(successorsOf(1, 5))).toEqual([{ id: 'step2', deps: ['step1'] }]);
    expect(JSON.parse(successorsOf(5, 5))).toEqual([]);
  });
});

describe('pauseLatencies', () => {
  it('measures 202 → paused per run, 0 for runs paused before the 202, and counts runs that ended or never paused', () => {
    const got = pauseLatencies([
      { runId: 'a', acceptedAtMs: 1000, pausedAtMs: 1120, ended: false },
      { runId: 'b', acceptedAtMs: 1000, pausedAtMs: 995, ended: false },
      { runId: 'c', acceptedAtMs: 1000, pausedAtMs: 1000, ended: false },
      { runId: 'd', acceptedAtMs: 1000, pausedAtMs: null, ended: true },
      { runId: 'e', acceptedAtMs: 2000, pausedAtMs: null, ended: false },
    ]);
    expect(got).toEqual({ latencies: [120, 0, 0], pausedBeforeAccepted: 2, endedInstead: 1, neverPaused: 1 });
  });
});

describe('callsAfterRevocation', () => {
  it('counts calls of revoked runs after their 202: within the 1 s bound, and late; other runs and earlier calls are ignored', () => {
    const accepted = new Map([
      ['r1', 100],
      ['r2', 500],
    ]);
    const calls = [
      { runId: 'r1', arrivedMs: 50 }, // before its 202
      { runId: 'r1', arrivedMs: 600 }, // within
      { runId: 'r1', arrivedMs: 1100 }, // exactly 1 s: within
      { runId: 'r1', arrivedMs: 1101 }, // late
      { runId: 'r2', arrivedMs: 1400 }, // within
      { runId: 'other', arrivedMs: 5000 }, // not revoked
    ];
    expect(callsAfterRevocation(calls, accepted)).toEqual({ late: 1, within: 3 });
    expect(callsAfterRevocation(calls, accepted, 100)).toEqual({ late: 4, within: 0 });
  });
});

describe('revocationRows', () => {
  const figures: RevocationFigures = {
    users: 100,
    runsPerUser: 10,
    stepsPerRun: 10,
    downstreamMs: 200,
    inFlight: 1000,
    revokedUsers: 10,
    affected: 100,
    paused: 100,
    pausedBeforeAccepted: 96,
    endedInstead: 0,
    neverPaused: 0,
    p50: 0,
    p99: 42,
    max: 186,
    acceptP50: 27,
    acceptMax: 50,
    lateCalls: 0,
    callsWithinBound: 0,
    seconds: 6,
  };

  it('holds the p99 to SPEC §10.3’s 1 s and the late calls to none', () => {
    const [latency, late] = revocationRows(figures);
    expect(latency).toMatchObject({ value: '42.0', target: '≤ 1000', verdict: 'PASS' });
    expect(latency!.figure).toContain('1000 runs of 100 users in flight');
    expect(late).toMatchObject({ value: '0', target: '≤ 0', verdict: 'PASS' });
    expect(revocationRows({ ...figures, p99: 1500 })[0]!.verdict).toBe('MISS');
    expect(revocationRows({ ...figures, lateCalls: 1 })[1]!.verdict).toBe('MISS');
  });

  it('misses when a revoked run never paused, whatever the others did', () => {
    expect(revocationRows({ ...figures, neverPaused: 1 })[0]!.verdict).toBe('MISS');
  });
});

describe('readinessLatencies', () => {
  it('measures ready → started per node, clamps clock ties at 0 and counts nodes never started apart', () => {
    const got = readinessLatencies([
      { readyMs: 1000, startedMs: 1012 },
      { readyMs: 1000, startedMs: 1900 },
      { readyMs: 1000, startedMs: 999 },
      { readyMs: 1000, startedMs: null },
    ]);
    expect(got).toEqual({ summary: { count: 3, p50: 12, p99: 900, max: 900 }, neverStarted: 1 });
  });
});

describe('fairnessRows', () => {
  const figures: FairnessFigures = {
    limit: 20,
    floodRuns: 1000,
    quietRuns: 40,
    nodesPerRun: 5,
    downstreamMs: 30,
    first: { count: 40, p50: 300, p99: 600, max: 650 },
    every: { count: 200, p50: 0, p99: 600, max: 650 },
    neverStarted: 0,
    floodBacklogAtFirst: 4800,
    floodBacklogAtLast: 1200,
    quietUnderFlood: 40,
    floodStartsPerSecond: 130,
    floodStepsPerSecond: 150,
    floodMaxInFlight: 12,
    floodMaxSlots: 20,
    floodMaxRunning: 12,
    quietStartP50: 15,
    seconds: 60,
  };

  it('holds tenant B’s first-node p99 to SPEC §12.1’s 1 s and tenant A to its limit', () => {
    const [latency, cap, throughput] = fairnessRows(figures);
    expect(latency).toMatchObject({ value: '600.0', target: '≤ 1000', verdict: 'PASS' });
    expect(latency!.figure).toContain('tenant A (maxConcurrentNodes 20) floods with 1000 runs');
    expect(cap).toMatchObject({ value: '12', target: '≤ 20', verdict: 'PASS' });
    expect(throughput).toMatchObject({ value: '150.0', verdict: 'n/a' });
    expect(fairnessRows({ ...figures, first: { ...figures.first, p99: 1001 } })[0]!.verdict).toBe('MISS');
  });

  it('misses when a node of B never started or A ran more nodes than its limit, downstream or in Postgres', () => {
    expect(fairnessRows({ ...figures, neverStarted: 1 })[0]!.verdict).toBe('MISS');
    expect(fairnessRows({ ...figures, floodMaxInFlight: 21 })[1]!.verdict).toBe('MISS');
    expect(fairnessRows({ ...figures, floodMaxRunning: 21 })[1]!.verdict).toBe('MISS');
    expect(fairnessRows({ ...figures, floodMaxSlots: 21 })[1]!.verdict).toBe('MISS');
  });

  it('shows the unlimited run beside, and no limit row for it', () => {
    const unlimited = { ...figures, limit: null, first: { count: 40, p50: 12, p99: 7903, max: 7903 } };
    expect(fairnessRows(figures, unlimited)[0]!.against).toContain('A unlimited: p99 7903.0');
    expect(fairnessRows(unlimited).map((r) => r.target)).toEqual(['≤ 1000', '—']);
  });
});
