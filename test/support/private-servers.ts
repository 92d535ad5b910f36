import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort } from './processes.js';

/** The newest installed PostgreSQL's binaries (Debian keeps them out of PATH). */
function postgresBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return join('/usr/lib/postgresql', versions[0]!, 'bin', name);
}

/** Postgres refuses to run as root; run its tools as the `postgres` user when we are root. */
function asPostgres(binary: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', binary, ...args] : [binary, ...args];
}

/**
 * A Postgres server of the test's own on a free port, so a test can stop and restart it under load
 * without touching the machine's shared server. Trust authentication, like the shared one.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'baton-pg-'));
    chmodSync(dir, 0o777);
    const data = join(dir, 'data');
    const [cmd, ...args] = asPostgres(postgresBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    execFileSync(cmd!, args, { stdio: 'ignore' });
    const server = new PrivatePostgres(await freePort(), dir);
    await server.startServer();
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/baton_private`;
  }

  async startServer(): Promise<void> {
    this.ctl(['start', '-w', '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`]);
  }

  /** `-m fast`: active connections are cut, as a real restart does. */
  stopServer(): void {
    this.ctl(['stop', '-m', 'fast', '-w']);
  }

  async close(): Promise<void> {
    try {
      this.ctl(['stop', '-m', 'immediate', '-w']);
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async query(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return await client.query(sql, values);
    } finally {
      await client.end();
    }
  }

  private ctl(args: string[]): void {
    const [cmd, ...rest] = asPostgres(postgresBin('pg_ctl'), ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), ...args]);
    execFileSync(cmd!, rest, { stdio: 'ignore' });
  }
}

/** A Redis of the test's own on a free port, without persistence: a restart forgets everything. */
export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.startServer();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startServer(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not up yet
      } finally {
        probe.disconnect();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('private redis-server did not start');
  }

  /** Kills it outright (SIGKILL): nothing is saved, as with a crashed, unpersisted Redis. */
  async stopServer(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.stopServer();
  }
}
