import { readdirSync, readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type pg from 'pg';

/** Linux reports process CPU time in clock ticks; 100 per second on every common kernel. */
const TICKS_PER_SECOND = 100;

export interface CpuReading {
  process: NodeJS.CpuUsage;
  eventLoop: EventLoopUtilization;
  /** CPU ticks of this database's client backends, by pid. */
  postgresBackends: Map<number, number>;
  /** CPU ticks of Postgres's shared processes (WAL writer, checkpointer, autovacuum…), by pid. */
  postgresShared: Map<number, number>;
  redisTicks: number;
  /** /proc/stat, all cores: busy ticks (user, nice, system; irq and softirq apart), steal, total. */
  machine: { busy: number; interrupts: number; steal: number; total: number };
}

export interface CpuUse {
  /** CPU milliseconds of this Node process (all threads) per node step. */
  nodeMsPerStep: number;
  /** Share of the time this process's event loop was busy. */
  eventLoopUtilization: number;
  postgresMsPerStep: number;
  postgresSharedMsPerStep: number;
  redisMsPerStep: number;
  /** Busy share of all cores over the phase (steal excluded). */
  machineBusy: number;
  /** Interrupt and softirq time (loopback networking among it) per step. */
  interruptMsPerStep: number;
  /** Time the hypervisor gave this machine's CPUs to someone else, per step. */
  stealMsPerStep: number;
  /** User and system CPU ms per step that none of the processes above account for: other programs. */
  otherMsPerStep: number;
}

/**
 * Where CPU goes during a phase: this process (API, worker, authorization server, resource server
 * and bench share it), this database's Postgres backends, Postgres's shared processes, Redis, and
 * the rest of the machine (another program running at the same time shows up there). Linux only;
 * elsewhere the Postgres, Redis and machine figures read 0.
 */
export class CpuMeter {
  private readonly redisPids = findProcesses('redis-server');

  constructor(private readonly db: pg.Client) {}

  async read(): Promise<CpuReading> {
    const { rows } = await this.db.query<{ pid: number; ours: boolean }>(
      `SELECT pid, coalesce(datname = current_database() AND backend_type = 'client backend', false) AS ours
       FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL`,
    );
    const postgresBackends = new Map<number, number>();
    const postgresShared = new Map<number, number>();
    for (const { pid, ours } of rows) (ours ? postgresBackends : postgresShared).set(pid, processTicks(pid));
    return {
      process: process.cpuUsage(),
      eventLoop: performance.eventLoopUtilization(),
      postgresBackends,
      postgresShared,
      redisTicks: this.redisPids.reduce((sum, pid) => sum + processTicks(pid), 0),
      machine: machineTicks(),
    };
  }
}

export function cpuUse(before: CpuReading, after: CpuReading, steps: number): CpuUse {
  const nodeMs = (after.process.user - before.process.user + after.process.system - before.process.system) / 1000;
  const ticksMs = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  const grown = (a: Map<number, number>, b: Map<number, number>) => [...b].reduce((sum, [pid, t]) => sum + Math.max(0, t - (a.get(pid) ?? 0)), 0);
  const postgresMs = ticksMs(grown(before.postgresBackends, after.postgresBackends));
  const sharedMs = ticksMs(grown(before.postgresShared, after.postgresShared));
  const redisMs = ticksMs(after.redisTicks - before.redisTicks);
  const busyMs = ticksMs(after.machine.busy - before.machine.busy);
  const interruptMs = ticksMs(after.machine.interrupts - before.machine.interrupts);
  const stealMs = ticksMs(after.machine.steal - before.machine.steal);
  const totalTicks = after.machine.total - before.machine.total;
  return {
    nodeMsPerStep: nodeMs / steps,
    eventLoopUtilization: performance.eventLoopUtilization(after.eventLoop, before.eventLoop).utilization,
    postgresMsPerStep: postgresMs / steps,
    postgresSharedMsPerStep: sharedMs / steps,
    redisMsPerStep: redisMs / steps,
    machineBusy: totalTicks > 0 ? (after.machine.busy + after.machine.interrupts - before.machine.busy - before.machine.interrupts) / totalTicks : 0,
    interruptMsPerStep: interruptMs / steps,
    stealMsPerStep: stealMs / steps,
    otherMsPerStep: Math.max(0, busyMs - nodeMs - postgresMs - sharedMs - redisMs) / steps,
  };
}

/** utime + stime of a process, in ticks (0 when it is gone or not on Linux). */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function machineTicks(): CpuReading['machine'] {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
    return { busy: user! + nice! + system!, interrupts: irq! + softirq!, steal: steal!, total: user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal! };
  } catch {
    return { busy: 0, interrupts: 0, steal: 0, total: 0 };
  }
}

function findProcesses(name: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}
