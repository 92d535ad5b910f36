import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { performance } from 'node:perf_hooks';
import { redisConnectionOptions } from '@baton/platform';

export interface RawBullmqResult {
  /** `bulk`: all jobs added up front in batches (the ceiling); `chained`: each job adds its successor, as node steps do. */
  mode: 'bulk' | 'chained';
  jobs: number;
  concurrency: number;
  seconds: number;
  jobsPerSecond: number;
}

export interface RawBullmqOptions {
  redisUrl: string;
  prefix: string;
  jobs: number;
  concurrency: number;
  /** For `chained`: jobs per chain (a run's nodes). */
  chainLength: number;
}

const CHUNK = 1000;
/** The node jobs' options (NodeQueue): no retries by BullMQ, completed jobs removed. */
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: 1000, attempts: 1 } as const;

/**
 * BullMQ alone, in this process, on the same Redis and prefix: a Worker with the node processor's
 * settings runs empty jobs with the node jobs' options, timed from the first add to the last
 * completion after a short unmeasured round.
 *
 * - `bulk` (the ceiling of the issue): jobs added in batches of 1000 while the worker runs.
 * - `chained`: `jobs / chainLength` chains start at once and each job adds the next one of its
 *   chain from inside the processor, one `add` per job, as a node step enqueues its successor.
 */
export async function measureRawBullmq(mode: 'bulk' | 'chained', options: RawBullmqOptions): Promise<RawBullmqResult> {
  const connection = redisConnectionOptions(options.redisUrl) as ConnectionOptions;
  const name = `bench-raw-${mode}`;
  const queue = new Queue(name, { connection, prefix: options.prefix });
  type Link = { tag: string; chain: number; position: number };
  const processor =
    mode === 'bulk'
      ? async () => undefined
      : async (job: Job<Link>) => {
          const { tag, chain, position } = job.data;
          if (position + 1 < options.chainLength) {
            await queue.add(
              'empty',
              { tag, chain, position: position + 1 },
              { ...JOB_OPTIONS, jobId: `${tag}.${chain}.${position + 1}` },
            );
          }
        };
  const worker = new Worker(name, processor, {
    connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: 10_000,
    stalledInterval: 5_000,
    maxStalledCount: 5,
    autorun: false,
  });
  let completed = 0;
  let target = Infinity;
  let reached: (() => void) | undefined;
  worker.on('completed', () => {
    if (++completed === target) reached?.();
  });
  const failures: Error[] = [];
  worker.on('failed', (_job, error) => failures.push(error));
  try {
    await worker.waitUntilReady();
    void worker.run().catch((error: Error) => failures.push(error));
    const round = async (tag: string, jobs: number): Promise<number> => {
      completed = 0;
      target = jobs;
      const done = new Promise<void>((resolve) => (reached = resolve));
      const started = performance.now();
      const first =
        mode === 'bulk'
          ? Array.from({ length: jobs }, (_, i) => ({
              name: 'empty',
              data: { tag, chain: i, position: 0 },
              opts: { ...JOB_OPTIONS, jobId: `${tag}.${i}` },
            }))
          : Array.from({ length: Math.ceil(jobs / options.chainLength) }, (_, i) => ({
              name: 'empty',
              data: { tag, chain: i, position: 0 },
              opts: { ...JOB_OPTIONS, jobId: `${tag}.${i}.0` },
            }));
      for (let from = 0; from < first.length; from += CHUNK) await queue.addBulk(first.slice(from, from + CHUNK));
      await done;
      if (failures.length > 0) throw new Error(`raw BullMQ jobs failed: ${failures[0]!.message}`);
      return (performance.now() - started) / 1000;
    };
    const jobs = mode === 'bulk' ? options.jobs : Math.ceil(options.jobs / options.chainLength) * options.chainLength;
    await round('warmup', Math.min(1000, jobs));
    const seconds = await round('measured', jobs);
    return { mode, jobs, concurrency: options.concurrency, seconds, jobsPerSecond: jobs / seconds };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
