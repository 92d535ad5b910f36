import { readdirSync, readFileSync } from 'node:fs';
import { TICKS_PER_SECOND, parseProcStatTicks } from './figures.js';

const TICK_MS = 1000 / TICKS_PER_SECOND;

/** CPU ticks used so far by every process of the components the bench does not start itself, and the machine's. */
export interface CpuSnapshot {
  /** Per component, per pid: a pid that exits between snapshots drops out, one that starts counts from 0. */
  byComponent: Record<MachineComponent, Map<number, number>>;
  /** The machine's /proc/stat counters (all CPUs). */
  machine: { busy: number; steal: number };
}

export type MachineComponent = 'postgres' | 'redis';

/** Where a phase's CPU went, ms per unit (a step, say). */
export interface MachineCpu {
  /** Every Postgres process: the backends serving the api, the worker and the bench, walwriter, autovacuum. */
  postgresMs: number;
  redisMs: number;
  /** All CPUs busy (user, system, irq, softirq): every process and the kernel's network work. */
  busyMs: number;
  /** Time the hypervisor gave the vCPUs to someone else: high values make a run's figures noisy. */
  stealMs: number;
}

const COMMANDS: Record<string, MachineComponent> = { postgres: 'postgres', 'redis-server': 'redis' };

export function cpuSnapshot(): CpuSnapshot {
  const byComponent: CpuSnapshot['byComponent'] = { postgres: new Map(), redis: new Map() };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const component = COMMANDS[command];
    if (component) byComponent[component].set(Number(entry), parseProcStatTicks(stat));
  }
  return { byComponent, machine: machineTicks(readFileSync('/proc/stat', 'utf8')) };
}

/** What happened between two snapshots, ms ÷ `units`. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, units: number): MachineCpu {
  const component = (name: MachineComponent): number => {
    let ticks = 0;
    for (const [pid, used] of after.byComponent[name]) ticks += used - (before.byComponent[name].get(pid) ?? 0);
    return (ticks * TICK_MS) / units;
  };
  return {
    postgresMs: component('postgres'),
    redisMs: component('redis'),
    busyMs: ((after.machine.busy - before.machine.busy) * TICK_MS) / units,
    stealMs: ((after.machine.steal - before.machine.steal) * TICK_MS) / units,
  };
}

/** The first line of /proc/stat: `cpu user nice system idle iowait irq softirq steal …`. */
export function machineTicks(procStat: string): { busy: number; steal: number } {
  const fields = procStat.split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return { busy: user + nice + system + irq + softirq, steal };
}
