import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** A built Baton process (dist/), as `npm run start:*` runs it. */
export interface SpawnedProcess {
  child: ChildProcess;
  output(): string;
  /** The exit code, or the signal's name when the process ended by re-raising a signal (Nest does). */
  exited: Promise<number | string | null>;
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export function spawnBuilt(script: string, env: Record<string, string | undefined>): SpawnedProcess {
  const child = spawn(process.execPath, [resolve(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string | null>((done) =>
    child.on('exit', (code, signal) => done(code ?? signal)),
  );
  return {
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

/** A free port to hand to a spawned process. */
export const freePort = closedPort;

/** Polls `url` until it answers `status` (or the deadline passes): for waiting on a process start. */
export async function waitForStatus(url: string, status: number, timeoutMs = 20000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    try {
      last = (await fetch(url)).status;
      if (last === status) return last;
    } catch {
      last = -1;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

/**
 * Starts the built worker on a free port and waits until it is ready (throws otherwise); it is
 * added to `started` so that the suite's afterAll stops it whatever happens.
 */
export async function startReadyWorker(
  env: Record<string, string | undefined>,
  started: SpawnedProcess[],
): Promise<SpawnedProcess> {
  const port = await freePort();
  const worker = spawnBuilt('dist/apps/worker/src/main.js', { ...env, WORKER_PORT: String(port) });
  started.push(worker);
  const status = await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200);
  if (status !== 200) throw new Error(`the worker did not become ready (health answered ${status})`);
  return worker;
}
