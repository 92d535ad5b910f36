import { writeFileSync } from 'node:fs';
import pg from 'pg';

/**
 * Loaded into the api, the worker and the floor worker with `node --import` when the bench starts
 * them (`BENCH_PG_COUNTS_FILE` set): counts the statements the process sends to Postgres — its round
 * trips — and the transactions they make (a statement outside BEGIN…COMMIT is one), and writes the
 * counts to that file on SIGWINCH (not SIGUSR2: Nest's shutdown hooks stop the app on that). One counter increment per query; nothing else changes.
 */
const file = process.env.BENCH_PG_COUNTS_FILE;
if (file) {
  const counts = { seq: 0, statements: 0, transactions: 0 };
  const inTransaction = Symbol('bench.inTransaction');
  type Counted = pg.Client & { [inTransaction]?: boolean };
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
    this: Counted,
    ...args: unknown[]
  ) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = (typeof first === 'string' ? first : (first?.text ?? '')).trimStart().slice(0, 20).toUpperCase();
    counts.statements++;
    if (text.startsWith('BEGIN') || text.startsWith('START TRANSACTION')) {
      this[inTransaction] = true;
      counts.transactions++;
    } else if (text.startsWith('COMMIT') || text.startsWith('ROLLBACK')) {
      this[inTransaction] = false;
    } else if (!this[inTransaction]) {
      counts.transactions++;
    }
    return original.apply(this, args);
  };
  process.on('SIGWINCH', () => {
    counts.seq++;
    writeFileSync(file, JSON.stringify(counts));
  });
}

/**
 * With `BENCH_CPU_PROFILE_FILE` set: SIGURG starts V8's sampling profiler in this process and the
 * next SIGURG stops it and writes the `.cpuprofile` there — the bench profiles one phase of the
 * built processes without restarting them (cpu-profile.ts summarizes it per component).
 */
const profileFile = process.env.BENCH_CPU_PROFILE_FILE;
if (profileFile) {
  const { Session } = await import('node:inspector/promises');
  let session: InstanceType<typeof Session> | null = null;
  process.on('SIGURG', () => {
    void (async () => {
      if (!session) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
        writeFileSync(`${profileFile}.started`, '1');
        return;
      }
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = null;
      writeFileSync(profileFile, JSON.stringify(profile));
    })();
  });
}
