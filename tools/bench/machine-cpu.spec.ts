import { describe, expect, it } from '@jest/globals';
import { cpuBetween, machineTicks, type CpuSnapshot } from './machine-cpu.js';

const snapshot = (
  postgres: [number, number][],
  redis: [number, number][],
  busy: number,
  steal: number,
): CpuSnapshot => ({
  byComponent: { postgres: new Map(postgres), redis: new Map(redis) },
  machine: { busy, steal },
});

describe('machine CPU accounting', () => {
  it('reads busy (user, nice, system, irq, softirq) and steal from /proc/stat, not idle or iowait', () => {
    expect(machineTicks('cpu  100 5 40 9000 70 3 2 11 0 0\ncpu0 50 2 20 4500 35 1 1 5 0 0\n')).toEqual({
      busy: 150,
      steal: 11,
    });
  });

  it('sums per-pid differences: a pid that started counts from 0, one that exited drops out', () => {
    const before = snapshot(
      [
        [10, 500],
        [11, 200],
        [12, 90],
      ],
      [[20, 40]],
      1000,
      3,
    );
    const after = snapshot(
      [
        [10, 540],
        [11, 230],
        [13, 10],
      ],
      [[20, 44]],
      1250,
      5,
    );
    // postgres: (540-500) + (230-200) + 10 = 80 ticks = 800 ms; over 100 steps.
    expect(cpuBetween(before, after, 100)).toEqual({ postgresMs: 8, redisMs: 0.4, busyMs: 25, stealMs: 0.2 });
  });
});
