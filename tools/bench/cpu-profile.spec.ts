import { describe, expect, it } from '@jest/globals';
import { componentOf, summarizeProfile, type CpuProfile } from './cpu-profile.js';
import { histogramTotals, meanMsBetween, memoryBreakdown } from './exposition.js';

describe('componentOf', () => {
  it.each([
    ['(garbage collector)', '', 'V8 GC'],
    ['(program)', '', 'V8 (program: compiler, runtime, native)'],
    ['(idle)', '', '(idle)'],
    ['writev', '', 'native (V8 builtins)'],
    ['emit', 'node:events', 'node:events'],
    ['readableAddChunk', 'node:internal/streams/readable', 'node:streams'],
    ['parse', 'file:///repo/node_modules/pg-protocol/dist/parser.js', 'pg-protocol'],
    ['get', 'file:///repo/node_modules/@nestjs/core/injector/module.js', '@nestjs/core'],
    ['x', 'file:///repo/node_modules/a/node_modules/b/index.js', 'b'],
    ['step', 'file:///repo/dist/libs/workflow/src/engine/node-runner.js', 'baton libs/workflow'],
    ['main', 'file:///repo/dist/apps/api/src/main.js', 'baton apps/api'],
    ['y', 'file:///repo/dist/tools/bench/pg-count-preload.js', 'bench tools/bench'],
    ['z', 'file:///elsewhere/z.js', 'other'],
  ])('%s at %s belongs to %s', (functionName, url, component) => {
    expect(componentOf(functionName, url)).toBe(component);
  });
});

describe('summarizeProfile', () => {
  const frame = (id: number, functionName: string, url = '', lineNumber = 0) => ({
    id,
    callFrame: { functionName, url, lineNumber },
  });
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(root)'),
      frame(2, '(idle)'),
      frame(3, 'step', 'file:///r/dist/libs/workflow/src/engine/node-runner.js', 80),
      frame(4, 'parse', 'file:///r/node_modules/pg-protocol/dist/parser.js', 25),
      frame(5, '(garbage collector)'),
    ],
    startTime: 0,
    endTime: 10_000,
    // each sample owns the delta that follows it
    samples: [3, 4, 3, 2, 5, 3],
    timeDeltas: [0, 1000, 2000, 500, 4000, 1500, 0],
  };

  it('gives each sample the time up to the next one, leaves idle out, ranks components and functions', () => {
    const summary = summarizeProfile(profile);
    expect(summary.busyMs).toBeCloseTo(1 + 2 + 0.5 + 1.5, 6);
    expect(summary.components).toEqual([
      { name: 'pg-protocol', ms: 2 },
      { name: 'baton libs/workflow', ms: 1.5 },
      { name: 'V8 GC', ms: 1.5 },
    ]);
    expect(summary.functions[0]).toEqual({ name: 'parse parser.js:26', ms: 2 });
    expect(summary.functions.map((f) => f.name)).toContain('step node-runner.js:81');
  });

  it('spreads the interval over hit counts when the profile has no sample list', () => {
    const summary = summarizeProfile({
      nodes: [
        { ...frame(1, 'a', 'file:///r/node_modules/undici/x.js'), hitCount: 3 },
        { ...frame(2, 'b', 'file:///r/node_modules/pg/y.js'), hitCount: 1 },
      ],
      startTime: 0,
      endTime: 8000,
    });
    expect(summary.components).toEqual([
      { name: 'undici', ms: 6 },
      { name: 'pg', ms: 2 },
    ]);
  });

  it('keeps only the top functions asked for', () => {
    expect(summarizeProfile(profile, 1).functions).toHaveLength(1);
  });
});

describe('memoryBreakdown', () => {
  it('reads the process and heap gauges, and used bytes per heap space, from an exposition', () => {
    const m = memoryBreakdown(
      [
        '# HELP process_resident_memory_bytes Resident memory size in bytes.',
        '# TYPE process_resident_memory_bytes gauge',
        'process_resident_memory_bytes{app="baton-worker"} 157286400',
        'nodejs_heap_size_total_bytes 83886080',
        'nodejs_heap_size_used_bytes 62914560',
        'nodejs_external_memory_bytes 4194304',
        'nodejs_heap_space_size_used_bytes{space="old"} 41943040',
        'nodejs_heap_space_size_used_bytes{space="new"} 8388608',
        'nodejs_heap_space_size_total_bytes{space="new"} 33554432',
        'nodejs_eventloop_lag_seconds NaN',
      ].join('\n'),
    );
    expect(m).toEqual({
      rssBytes: 157286400,
      heapTotalBytes: 83886080,
      heapUsedBytes: 62914560,
      externalBytes: 4194304,
      heapSpaces: { old: 41943040, new: 8388608 },
    });
  });

  it('reports 0 for what the exposition lacks', () => {
    expect(memoryBreakdown('').rssBytes).toBe(0);
  });
});

describe('histogramTotals and meanMsBetween', () => {
  const exposition = [
    '# TYPE baton_node_completion_seconds histogram',
    'baton_node_completion_seconds_bucket{le="0.001",app="baton-worker"} 3',
    'baton_node_completion_seconds_sum{app="baton-worker"} 0.012',
    'baton_node_completion_seconds_count{app="baton-worker"} 8',
    'baton_node_completion_seconds_other_sum 99',
  ].join('\n');

  it('reads _sum and _count of the named histogram only', () => {
    expect(histogramTotals(exposition, 'baton_node_completion_seconds')).toEqual({ sum: 0.012, count: 8 });
    expect(histogramTotals(exposition, 'baton_missing')).toEqual({ sum: 0, count: 0 });
  });

  it('gives the mean in ms of what was observed in between, or null', () => {
    expect(meanMsBetween({ sum: 0.012, count: 8 }, { sum: 0.032, count: 18 })).toBeCloseTo(2, 10);
    expect(meanMsBetween({ sum: 1, count: 8 }, { sum: 1, count: 8 })).toBeNull();
  });
});
