import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { stringify } from 'yaml';
import { loadConfig, type BatonConfig } from '@baton/platform';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { createWorkerApp } from '../../apps/worker/src/bootstrap.js';
import { DEFAULT_CLIENT_ID, startDevAuthServer, type DevAuthServer } from '../dev-auth-server/server.js';
import type { BenchOptions } from './bench-options.js';
import { FastResourceServer } from './fast-resource-server.js';

/** A pool and how many connections it may open. */
export interface PoolHandle {
  pool: pg.Pool;
  size: number;
}

/**
 * The whole stack in this process, as the tests build it: the dev authorization server, a fast
 * resource server, the API (runs are started over HTTP) and a worker, on a Postgres database and a
 * BullMQ prefix of the bench's own, both removed on close.
 */
export class BenchStack {
  private readonly closers: { what: string; close: () => Promise<unknown> }[] = [];
  auth!: DevAuthServer;
  resource!: FastResourceServer;
  config!: BatonConfig;
  api!: INestApplication;
  apiUrl!: string;
  worker!: INestApplication;
  /** The bench's own connection (polling, pg_stat readings). */
  db!: pg.Client;
  pools!: { api: PoolHandle; worker: PoolHandle };
  serverVersions = { postgres: '?', redis: '?' };

  private constructor(
    readonly options: BenchOptions,
    readonly database: string,
    readonly queuePrefix: string,
  ) {}

  static async start(options: BenchOptions, hooks: { beforeApps?: (stack: BenchStack) => void } = {}): Promise<BenchStack> {
    const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const stack = new BenchStack(options, `baton_bench_${id}`, `baton_bench_${id}`);
    try {
      await stack.boot(hooks);
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  private async boot(hooks: { beforeApps?: (stack: BenchStack) => void }): Promise<void> {
    const databaseUrl = withDatabase(this.options.databaseUrl, this.database);
    const admin = new pg.Client({ connectionString: withDatabase(this.options.databaseUrl, 'postgres') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(this.database)}`);
    } finally {
      await admin.end();
    }
    this.closers.push({ what: 'drop the bench database', close: () => dropDatabase(this.options.databaseUrl, this.database) });
    this.closers.push({ what: 'delete the bench queue keys', close: () => deleteKeys(this.options.redisUrl, this.queuePrefix) });

    const clientSecret = randomBytes(18).toString('base64url');
    this.auth = await startDevAuthServer({ port: 0, devMode: true, clients: [{ clientId: DEFAULT_CLIENT_ID, clientSecret }] });
    this.closers.push({ what: 'dev authorization server', close: () => this.auth.close() });
    this.resource = await FastResourceServer.start();
    this.closers.push({ what: 'resource server', close: () => this.resource.close() });

    const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
    this.closers.push({ what: 'temp config', close: async () => rmSync(dir, { recursive: true, force: true }) });
    const configPath = join(dir, 'baton.yaml');
    writeFileSync(
      configPath,
      stringify({
        api: { audience: 'baton-api' },
        trustedIssuers: [{ issuer: this.auth.issuer }],
        exchangeProfiles: {
          corp: { issuer: this.auth.issuer, clientId: DEFAULT_CLIENT_ID, clientAuth: 'client_secret_basic', clientSecretEnv: 'CORP_CLIENT_SECRET' },
        },
        http: { allowedHosts: ['127.0.0.1'], audienceOrigins: { '*': ['http://127.0.0.1'] } },
      }),
    );
    this.config = loadConfig({
      DATABASE_URL: databaseUrl,
      REDIS_URL: this.options.redisUrl,
      PORT: '0',
      WORKER_PORT: '0',
      BATON_CONFIG: configPath,
      BATON_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      BATON_QUEUE_PREFIX: this.queuePrefix,
      LOG_LEVEL: this.options.logLevel,
      CORP_CLIENT_SECRET: clientSecret,
    });

    this.db = new pg.Client({ connectionString: databaseUrl, application_name: 'baton-bench' });
    hooks.beforeApps?.(this);
    await this.db.connect();
    this.closers.push({ what: 'bench connection', close: () => this.db.end() });

    this.api = await createApiApp(this.config);
    this.closers.push({ what: 'api', close: () => this.api.close() });
    await this.api.listen(0, '127.0.0.1');
    this.apiUrl = `http://127.0.0.1:${(this.api.getHttpServer().address() as AddressInfo).port}`;
    this.worker = await createWorkerApp(this.config);
    this.closers.push({ what: 'worker', close: () => this.worker.close() });
    await this.worker.listen(0, '127.0.0.1');
    this.pools = { api: poolOf(this.api), worker: poolOf(this.worker) };

    const { rows } = await this.db.query<{ server_version: string }>('SHOW server_version');
    this.serverVersions.postgres = rows[0]!.server_version;
    const redis = new Redis(this.options.redisUrl, { lazyConnect: true });
    try {
      await redis.connect();
      this.serverVersions.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
    } finally {
      redis.disconnect();
    }
  }

  /** A user token from the dev authorization server (aud baton-api). */
  async mintToken(sub: string, scopes: string[]): Promise<string> {
    const body = (await this.admin('POST', '/admin/tokens', { sub, scope: scopes.join(' '), expiresIn: 3600 })) as { access_token: string };
    return body.access_token;
  }

  /** Requests the token endpoint has answered so far (each is one exchange here). */
  async tokenRequests(): Promise<number> {
    return ((await this.admin('GET', '/admin/stats')) as { tokenRequests: number }).tokenRequests;
  }

  async register(definition: Record<string, unknown>): Promise<void> {
    const token = await this.mintToken('bench-admin', ['baton:workflows:write']);
    const response = await fetch(`${this.apiUrl}/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(definition),
    });
    if (response.status !== 201) throw new Error(`registering ${String(definition.name)} answered ${response.status}: ${await response.text()}`);
  }

  /** Closes everything that was started, newest first; returns what could not be closed. */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    for (const { what, close } of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return problems;
  }

  private async admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.auth.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`dev AS ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }
}

function poolOf(app: INestApplication): PoolHandle {
  const driver = app.get(DataSource, { strict: false }).driver as unknown as { master: pg.Pool };
  const pool = driver.master;
  return { pool, size: (pool as unknown as { options: { max: number } }).options.max };
}

function withDatabase(url: string, database: string): string {
  const copy = new URL(url);
  copy.pathname = `/${database}`;
  return copy.toString();
}

async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
