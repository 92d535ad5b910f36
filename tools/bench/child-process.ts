import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { CpuProfile } from './cpu-profile.js';
import { parseProcStatTicks, parseVmRssBytes } from './figures.js';

/** The repository root (this file runs from dist/tools/bench/, and from tools/bench/ in unit tests). */
export const REPO_ROOT = resolve(
  import.meta.dirname,
  /[/\\]dist[/\\]tools[/\\]/.test(import.meta.dirname) ? '../../..' : '../..',
);

const KEPT_LINES = 100;
const PRELOAD = 'dist/tools/bench/pg-count-preload.js';

/** How `npm run <script>` starts a process: its environment assignments, node's flags and the script. */
export interface StartCommand {
  env: Record<string, string>;
  nodeArgs: string[];
  script: string;
}

/**
 * Reads a `start:*` script of package.json (`[VAR=value …] node [--flag …] <script>`), so that the
 * bench starts the api and the worker exactly as `npm run start:api` / `start:worker` do.
 */
export function parseStartScript(command: string): StartCommand {
  const words = command.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!); i++) {
    const [name, ...value] = words[i]!.split('=');
    env[name!] = value.join('=');
  }
  if (words[i] !== 'node') throw new Error(`not a "[VAR=value …] node [flags] <script>" command: ${command}`);
  const nodeArgs: string[] = [];
  for (i++; i < words.length && words[i]!.startsWith('-'); i++) nodeArgs.push(words[i]!);
  if (i !== words.length - 1) throw new Error(`expected one script after node's flags: ${command}`);
  return { env, nodeArgs, script: words[i]! };
}

/** The start command of an npm script of this repository. */
export function npmStartCommand(name: string): StartCommand {
  const manifest = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const command = manifest.scripts[name];
  if (!command) throw new Error(`package.json has no script ${name}`);
  return parseStartScript(command);
}

/** What pg-count-preload.js counted in a process. */
export interface PgCounts {
  /** Statements sent: the process's round trips to Postgres. */
  statements: number;
  /** Transactions they made (a statement outside BEGIN…COMMIT counts as one). */
  transactions: number;
}

/**
 * A built process the bench started (`node dist/…`, as `npm run start:*` runs it): its output's last
 * lines for error messages, its CPU and RSS from /proc, SIGSTOP/SIGCONT, and a stop that waits for
 * the exit (SIGTERM, then SIGKILL after a grace period).
 */
export class BuiltProcess {
  readonly exited: Promise<string>;
  private readonly lines: string[] = [];
  private gone = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.gone = true;
        done(signal ? `signal ${signal}` : `code ${code}`);
      }),
    );
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) this.lines.push(line);
        if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
      });
    }
  }

  /**
   * Starts `node <script>` from the repository root. With `countsFile`, the process counts its
   * Postgres statements (pg-count-preload.js, loaded with --import) and `pgCounts` reads them.
   */
  static start(
    name: string,
    script: string | StartCommand,
    env: Record<string, string>,
    countsFile?: string,
  ): BuiltProcess {
    const command = typeof script === 'string' ? { env: {}, nodeArgs: [], script } : script;
    const args = [
      ...command.nodeArgs,
      ...(countsFile ? ['--import', resolve(REPO_ROOT, PRELOAD)] : []),
      resolve(REPO_ROOT, command.script),
    ];
    env = { ...env, ...command.env };
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: countsFile
        ? { ...env, BENCH_PG_COUNTS_FILE: countsFile, BENCH_CPU_PROFILE_FILE: `${countsFile}.cpuprofile` }
        : env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new BuiltProcess(name, child);
    started.countsFile = countsFile;
    return started;
  }

  private countsFile: string | undefined;
  private lastSeq = 0;

  /** The Postgres statements and transactions the process sent so far (asks it with SIGWINCH). */
  async pgCounts(timeoutMs = 5000): Promise<PgCounts> {
    if (!this.countsFile) throw new Error(`${this.name} was started without a statement counter`);
    this.child.kill('SIGWINCH');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(this.countsFile)) {
        try {
          const counts = JSON.parse(readFileSync(this.countsFile, 'utf8')) as PgCounts & { seq: number };
          if (counts.seq > this.lastSeq) {
            this.lastSeq = counts.seq;
            return { statements: counts.statements, transactions: counts.transactions };
          }
        } catch {
          // being written
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${this.name} did not report its Postgres counts within ${timeoutMs} ms`);
  }

  /** Starts the process's CPU profiler (pg-count-preload.js, SIGURG) and waits until it runs. */
  async startProfile(timeoutMs = 5000): Promise<void> {
    const file = this.profileFile();
    rmSync(file, { force: true });
    rmSync(`${file}.started`, { force: true });
    this.child.kill('SIGURG');
    await this.waitForFile(`${file}.started`, timeoutMs);
  }

  /** Stops the profiler and returns the V8 `.cpuprofile` it wrote. */
  async stopProfile(timeoutMs = 15_000): Promise<CpuProfile> {
    const file = this.profileFile();
    this.child.kill('SIGURG');
    await this.waitForFile(file, timeoutMs);
    // written in one writeFileSync, but the bench may read it mid-write: retry a parse failure
    for (let i = 0; ; i++) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      } catch (error) {
        if (i > 50) throw error;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  private profileFile(): string {
    if (!this.countsFile) throw new Error(`${this.name} was started without the bench preload`);
    return `${this.countsFile}.cpuprofile`;
  }

  private async waitForFile(file: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(file)) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not write ${file} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return !this.gone;
  }

  tail(count = 20): string {
    return this.lines.slice(-count).join('\n');
  }

  /** Polls `url` until it answers 200; throws with the process's last lines if it exits or the time runs out. */
  async waitUntilReady(url: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`${this.name} exited before it was ready (${await this.exited}):\n${this.tail()}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${this.tail()}`);
  }

  /** Waits until the process prints a line containing `text`. */
  async waitForLine(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.lines.some((line) => line.includes(text))) return;
      if (!this.running)
        throw new Error(`${this.name} exited before it was ready (${await this.exited}):\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} did not print "${text}" within ${timeoutMs / 1000} s:\n${this.tail()}`);
  }

  /** utime + stime of the process (all threads), in clock ticks. */
  cpuTicks(): number {
    return parseProcStatTicks(readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
  }

  rssBytes(): number {
    return parseVmRssBytes(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
  }

  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  async stop(graceMs = 10_000): Promise<string> {
    if (!this.running) return this.exited;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A free loopback port to hand to a child (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}
