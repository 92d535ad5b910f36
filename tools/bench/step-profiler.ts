import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { TokenExchanger } from '@baton/oauth';
import { NodeQueue, NodeRunner, RunService } from '@baton/workflow';
import { NodeProcessor } from '../../apps/worker/src/processors/node.processor.js';
import { NodeExecutor } from '../../libs/workflow/src/engine/node-executor.js';
import { NodeTransitions } from '../../libs/workflow/src/engine/node-transitions.js';
import type { StatementCounter, WorkScope } from './statement-counter.js';

export interface Timing {
  count: number;
  totalMs: number;
  maxMs: number;
}

export type TimingSnapshot = Record<string, Timing>;

/**
 * Attributes Postgres work to node steps and run starts (the statement counter's scopes) and,
 * optionally, where a step's time goes: wraps the engine's classes at the prototype (the apps'
 * instances are untouched otherwise) and sums the time spent in each part.
 *
 * Keys: `queue-wait` (job added → processor called), `step` (NodeRunner.run), `claim`, `execute`,
 * `exchange` (inside execute; `exchange-miss` for the ones that went to the authorization server),
 * `settle`, `enqueue` (after settle), `run-start` (RunService.start in the API), `pool-wait/<owner>`
 * (waiting for a pooled Postgres connection).
 */
export class StepProfiler {
  private readonly timings = new Map<string, Timing>();

  constructor(private readonly counter: StatementCounter) {}

  /**
   * Enters the statement counter's scopes around `NodeRunner.run` and `RunService.start`; with
   * `timings`, also times each part of a step (that costs the process about a sixth of its
   * throughput, so it is opt-in).
   */
  install(options: { timings: boolean }): void {
    const self = this;
    const scoped = (scope: WorkScope, key: string) => (original: (...args: any[]) => any) =>
      function (this: unknown, ...args: unknown[]) {
        return self.counter.inScope(scope, () => (options.timings ? self.time(key, () => original.apply(this, args)) : original.apply(this, args)));
      };
    this.wrap(NodeRunner.prototype, 'run', scoped('step', 'step'));
    this.wrap(RunService.prototype, 'start', scoped('run-start', 'run-start'));
    if (!options.timings) return;
    this.wrap(NodeProcessor.prototype, 'process', (original) =>
      function (this: unknown, job: { timestamp: number }, ...rest: unknown[]) {
        self.add('queue-wait', Date.now() - job.timestamp);
        return original.call(this, job, ...rest);
      },
    );
    this.timeMethod(NodeTransitions.prototype, 'claim', 'claim');
    this.timeMethod(NodeTransitions.prototype, 'settle', 'settle');
    this.timeMethod(NodeExecutor.prototype, 'execute', 'execute');
    this.wrap(NodeQueue.prototype, 'enqueueAfterCommit', (original) =>
      function (this: unknown, ...args: unknown[]) {
        const scope: WorkScope | 'other' = self.counter.currentScope() ?? 'other';
        return self.time(scope === 'step' ? 'enqueue' : `enqueue/${scope}`, () => original.apply(this, args));
      },
    );
    this.wrap(TokenExchanger.prototype, 'exchange', (original) =>
      function (this: unknown, ...args: unknown[]) {
        const started = performance.now();
        const result = original.apply(this, args) as Promise<{ cached: boolean }>;
        return result.then((r) => {
          const ms = performance.now() - started;
          self.add('exchange', ms);
          if (!r.cached) self.add('exchange-miss', ms);
          return r;
        });
      },
    );
  }

  /** Times how long callers wait for a connection from this pool (TypeORM calls `pool.connect(cb)`). */
  profilePool(pool: pg.Pool, owner: string): void {
    const self = this;
    const original = pool.connect.bind(pool) as (cb?: (...args: unknown[]) => void) => unknown;
    (pool as unknown as { connect: unknown }).connect = function (cb?: (...args: unknown[]) => void) {
      const started = performance.now();
      if (typeof cb === 'function') {
        return original((...args: unknown[]) => {
          self.add(`pool-wait/${owner}`, performance.now() - started);
          cb(...args);
        });
      }
      return (original() as Promise<unknown>).then((client) => {
        self.add(`pool-wait/${owner}`, performance.now() - started);
        return client;
      });
    };
  }

  /** The sums so far; each key's maximum restarts, so a phase's delta carries that phase's own maximum. */
  snapshot(): TimingSnapshot {
    const copy = Object.fromEntries([...this.timings].map(([k, t]) => [k, { ...t }]));
    for (const t of this.timings.values()) t.maxMs = 0;
    return copy;
  }

  private timeMethod(prototype: object, method: string, key: string): void {
    const self = this;
    this.wrap(prototype, method, (original) =>
      function (this: unknown, ...args: unknown[]) {
        return self.time(key, () => original.apply(this, args));
      },
    );
  }

  private async time<T>(key: string, fn: () => T): Promise<Awaited<T>> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.add(key, performance.now() - started);
    }
  }

  private add(key: string, ms: number): void {
    let t = this.timings.get(key);
    if (!t) this.timings.set(key, (t = { count: 0, totalMs: 0, maxMs: 0 }));
    t.count++;
    t.totalMs += ms;
    if (ms > t.maxMs) t.maxMs = ms;
  }

  private wrap(prototype: object, method: string, make: (original: (...args: any[]) => any) => (...args: any[]) => any): void {
    const target = prototype as Record<string, (...args: any[]) => any>;
    const original = target[method];
    if (typeof original !== 'function') throw new Error(`bench: cannot profile ${method}: not a method`);
    target[method] = make(original);
  }
}

/** `after − before` (maxMs: the largest since `before` was taken). */
export function timingDelta(before: TimingSnapshot, after: TimingSnapshot): TimingSnapshot {
  const delta: TimingSnapshot = {};
  for (const [key, a] of Object.entries(after)) {
    const b = before[key] ?? { count: 0, totalMs: 0, maxMs: 0 };
    if (a.count - b.count > 0) delta[key] = { count: a.count - b.count, totalMs: a.totalMs - b.totalMs, maxMs: a.maxMs };
  }
  return delta;
}
