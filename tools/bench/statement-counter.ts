import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** Which part of the work a statement belongs to; statements outside any scope count as `other`. */
export type WorkScope = 'step' | 'run-start' | 'bench';
/** Which connection pool issued it. */
export type PoolOwner = 'api' | 'worker' | 'bench';

export interface StatementCounts {
  /** Every statement sent, BEGIN and COMMIT included: round trips to Postgres. */
  statements: number;
  /** COMMITs plus statements sent outside a transaction block (each is its own transaction). */
  transactions: number;
  rollbacks: number;
}

/** Counts keyed `<owner>/<scope>`, e.g. `worker/step`, `api/run-start`, `worker/other`. */
export type CounterSnapshot = Record<string, StatementCounts>;

/** Marks a statement the bench sends through an app's pool so it is never counted as the app's work. */
export const BENCH_MARK = '/* baton-bench */';

const OWNER = Symbol('bench.owner');
const IN_TRANSACTION = Symbol('bench.inTransaction');

interface TaggedClient {
  [OWNER]?: PoolOwner;
  [IN_TRANSACTION]?: boolean;
}

/**
 * Client-side accounting of Postgres work, to split `pg_stat_database.xact_commit` (which only
 * knows the database) between the worker's node steps, the API's run starts, upkeep (sweeper) and
 * the bench itself. It wraps `pg.Client.prototype.query`, which TypeORM's driver calls for every
 * statement; the scope comes from an AsyncLocalStorage the step profiler enters around
 * `NodeRunner.run` and `RunService.start`, the owner from the pool that handed out the client.
 */
export class StatementCounter {
  private static instance: StatementCounter | undefined;
  private readonly scope = new AsyncLocalStorage<WorkScope>();
  private readonly counts = new Map<string, StatementCounts>();

  private constructor() {}

  static install(): StatementCounter {
    if (StatementCounter.instance) return StatementCounter.instance;
    const counter = new StatementCounter();
    const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = prototype.query;
    prototype.query = function (this: TaggedClient, ...args: unknown[]) {
      const config = args[0] as string | { text?: unknown } | undefined;
      const text = typeof config === 'string' ? config : config?.text;
      if (typeof text === 'string') counter.record(this, text);
      return original.apply(this, args);
    };
    StatementCounter.instance = counter;
    return counter;
  }

  /** Runs `fn` with its statements (and those of everything it awaits) counted under `scope`. */
  inScope<T>(scope: WorkScope, fn: () => T): T {
    return this.scope.run(scope, fn);
  }

  currentScope(): WorkScope | undefined {
    return this.scope.getStore();
  }

  /** Every client this pool hands out from now on counts as `owner`'s. */
  tagPool(pool: pg.Pool, owner: PoolOwner): void {
    pool.on('acquire', (client) => {
      (client as unknown as TaggedClient)[OWNER] = owner;
    });
  }

  tagClient(client: pg.Client, owner: PoolOwner): void {
    (client as unknown as TaggedClient)[OWNER] = owner;
  }

  snapshot(): CounterSnapshot {
    return Object.fromEntries([...this.counts].map(([key, c]) => [key, { ...c }]));
  }

  private record(client: TaggedClient, text: string): void {
    const scope = text.includes(BENCH_MARK) ? 'bench' : (this.scope.getStore() ?? 'other');
    const key = `${client[OWNER] ?? 'bench'}/${scope}`;
    let counts = this.counts.get(key);
    if (!counts) this.counts.set(key, (counts = { statements: 0, transactions: 0, rollbacks: 0 }));
    counts.statements++;
    const head = text.trimStart().slice(0, 17).toUpperCase();
    if (head.startsWith('START TRANSACTION') || head.startsWith('BEGIN')) {
      client[IN_TRANSACTION] = true;
    } else if (head.startsWith('COMMIT')) {
      client[IN_TRANSACTION] = false;
      counts.transactions++;
    } else if (head.startsWith('ROLLBACK')) {
      client[IN_TRANSACTION] = false;
      counts.rollbacks++;
    } else if (!client[IN_TRANSACTION]) {
      counts.transactions++;
    }
  }
}

/** `after − before`, per key. */
export function counterDelta(before: CounterSnapshot, after: CounterSnapshot): CounterSnapshot {
  const delta: CounterSnapshot = {};
  for (const [key, a] of Object.entries(after)) {
    const b = before[key] ?? { statements: 0, transactions: 0, rollbacks: 0 };
    delta[key] = { statements: a.statements - b.statements, transactions: a.transactions - b.transactions, rollbacks: a.rollbacks - b.rollbacks };
  }
  return delta;
}

/** Every transaction counted so far, whoever sent it. */
export function totalTransactions(snapshot: CounterSnapshot): number {
  return Object.values(snapshot).reduce((sum, c) => sum + c.transactions, 0);
}

/** Sum of the keys that `match` (e.g. every owner's `step` scope). */
export function sumCounts(snapshot: CounterSnapshot, match: (owner: string, scope: string) => boolean): StatementCounts {
  const total: StatementCounts = { statements: 0, transactions: 0, rollbacks: 0 };
  for (const [key, c] of Object.entries(snapshot)) {
    const [owner, scope] = key.split('/') as [string, string];
    if (!match(owner, scope)) continue;
    total.statements += c.statements;
    total.transactions += c.transactions;
    total.rollbacks += c.rollbacks;
  }
  return total;
}
