import { Redis } from 'ioredis';

/**
 * Counts Redis commands sent by every ioredis client in this process (BullMQ's included: its Lua
 * scripts are one EVALSHA each). Blocking waits (BZPOPMIN and friends) count too.
 */
export class RedisCommandCounter {
  private static instance: RedisCommandCounter | undefined;
  private readonly byName = new Map<string, number>();

  private constructor() {}

  static install(): RedisCommandCounter {
    if (RedisCommandCounter.instance) return RedisCommandCounter.instance;
    const counter = new RedisCommandCounter();
    const prototype = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
    const original = prototype.sendCommand;
    prototype.sendCommand = function (this: Redis, ...args: unknown[]) {
      const name = String((args[0] as { name?: string } | undefined)?.name ?? '?').toLowerCase();
      counter.byName.set(name, (counter.byName.get(name) ?? 0) + 1);
      return original.apply(this, args);
    };
    RedisCommandCounter.instance = counter;
    return counter;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.byName);
  }
}

export function commandDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0);
    if (d > 0) delta[name] = d;
  }
  return delta;
}
