import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { ChildSpec } from './stack-plan.js';

/** A child ended while the demo still needed it. */
export class ChildExited extends Error {
  constructor(
    readonly child: ManagedChild,
    readonly exit: string,
  ) {
    super(`${child.spec.title} (${child.spec.name}) exited unexpectedly (${exit})`);
  }
}

/** A child did not become ready in time. */
export class ChildNotReady extends Error {
  constructor(
    readonly child: ManagedChild,
    timeoutMs: number,
  ) {
    super(
      `${child.spec.title} (${child.spec.name}) did not answer ${child.spec.url}${child.spec.readyPath} within ${timeoutMs / 1000} s`,
    );
  }
}

type LineListener = (line: string) => void;

const KEPT_LINES = 200;

/** One running child: its output, line by line, into the log file and a short in-memory tail. */
export class ManagedChild {
  readonly exited: Promise<string>;
  private readonly lines: string[] = [];
  private readonly listeners: LineListener[] = [];

  constructor(
    readonly spec: ChildSpec,
    readonly process: ChildProcess,
    log: WriteStream,
  ) {
    this.exited = new Promise((done) =>
      process.once('exit', (code, signal) => done(signal ? `signal ${signal}` : `code ${code}`)),
    );
    // A spawn failure (e.g. no such file) arrives as 'error' and no 'exit'.
    process.once('error', (err) => this.push(log, `spawn failed: ${err.message}`));
    for (const stream of [process.stdout, process.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const line of parts) this.push(log, line);
      });
      stream?.on('end', () => partial && this.push(log, partial));
    }
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  onLine(listener: LineListener): void {
    this.listeners.push(listener);
  }

  /** The last `count` lines it printed. */
  tail(count: number): string[] {
    return this.lines.slice(-count);
  }

  private push(log: WriteStream, line: string): void {
    const text = line.replace(/\r$/, '');
    if (text === '') return;
    this.lines.push(text);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
    if (log.writable) log.write(`${this.spec.name.padEnd(15)} | ${text}\n`);
    for (const listener of this.listeners) listener(text);
  }
}

/**
 * Starts the demo's processes from the built tree and owns them: their output goes to one log file,
 * `failure` rejects when any of them ends before `stopAll`, and `stopAll` ends them in reverse order
 * (SIGTERM, then SIGKILL after a grace period). Children run in their own process group, so a
 * Ctrl-C in the terminal reaches only the demo, which then stops them in order.
 */
export class StackSupervisor {
  readonly children: ManagedChild[] = [];
  /** Rejects with ChildExited when a child ends while the stack should be running. Never resolves. */
  readonly failure: Promise<never>;
  private stopping = false;
  private fail!: (error: ChildExited) => void;
  private readonly log: WriteStream;

  constructor(
    private readonly repoRoot: string,
    readonly logPath: string,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
    this.failure = new Promise<never>((_, reject) => (this.fail = reject));
    this.failure.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
  }

  start(spec: ChildSpec): ManagedChild {
    const process = spawn(globalThis.process.execPath, [resolve(this.repoRoot, spec.script)], {
      cwd: this.repoRoot,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const child = new ManagedChild(spec, process, this.log);
    this.children.push(child);
    void child.exited.then((exit) => {
      if (!this.stopping) this.fail(new ChildExited(child, exit));
    });
    return child;
  }

  /** Polls the child's ready path until it answers 200; rejects if it exits or the time runs out. */
  async waitUntilReady(child: ManagedChild, timeoutMs: number): Promise<void> {
    const url = `${child.spec.url}${child.spec.readyPath}`;
    const deadline = Date.now() + timeoutMs;
    let exit: string | undefined;
    void child.exited.then((e) => (exit = e));
    while (Date.now() < deadline) {
      if (exit !== undefined) throw new ChildExited(child, exit);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw exit !== undefined ? new ChildExited(child, exit) : new ChildNotReady(child, timeoutMs);
  }

  /** Stops every child, the last started first; each gets `graceMs` after SIGTERM before SIGKILL. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      if (!child.running) continue;
      child.process.kill('SIGTERM');
      const killed = setTimeout(() => child.running && child.process.kill('SIGKILL'), graceMs);
      await child.exited;
      clearTimeout(killed);
    }
    await new Promise<void>((done) => this.log.end(done));
  }

  /** Last resort when the demo itself is exiting: SIGKILL whatever still runs, synchronously. */
  killAllNow(): void {
    this.stopping = true;
    for (const child of this.children) if (child.running) child.process.kill('SIGKILL');
  }
}
