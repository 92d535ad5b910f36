import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { loadConfig, type BatonConfig } from '../../../libs/platform/src/index.js';
import { call, startApi, type RunningApi } from '../api.js';
import { testEnv } from '../config.js';
import { isolatedEnv } from '../isolation.js';
import { ResourceServer } from '../resource-server.js';
import { eventually } from '../waiting.js';
import { startWorker } from '../worker.js';
import type { VendorServer } from './vendor-server.js';

export const WRITE = 'baton:workflows:write';

export interface VendorStackOptions {
  /** The `exchangeProfiles.idp` entry (the fixture's issuer is filled in unless given). */
  profile: Record<string, unknown>;
  /** Secret variables the profile names. */
  env?: Record<string, string>;
  /** More exchange profiles beside `idp`. */
  moreProfiles?: Record<string, Record<string, unknown>>;
  /** Extra `trustedIssuers[0]` fields (e.g. `introspection`). */
  trustedIssuer?: Record<string, unknown>;
}

/**
 * The API and a worker (in this process) trusting one vendor-shaped fixture server for inbound
 * tokens and exchanging at it through the profile `idp`, with a recording resource server.
 */
export class VendorStack {
  private constructor(
    readonly vendor: VendorServer,
    readonly resource: ResourceServer,
    readonly config: BatonConfig,
    readonly api: RunningApi,
    readonly worker: INestApplication,
    readonly db: pg.Client,
  ) {}

  static async start(vendor: VendorServer, options: VendorStackOptions): Promise<VendorStack> {
    const resource = await ResourceServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'baton-vendor-'));
    const path = join(dir, 'baton.yaml');
    writeFileSync(
      path,
      stringify({
        api: { audience: 'baton-api' },
        trustedIssuers: [{ issuer: vendor.issuer, jwksUri: vendor.jwksUri, ...options.trustedIssuer }],
        exchangeProfiles: { idp: { expirySkewSeconds: 5, ...options.profile }, ...options.moreProfiles },
        // The fixtures' resource server listens on loopback: bind every audience there (SPEC §16).
        http: { allowedHosts: ['127.0.0.1'], audienceOrigins: { '*': ['http://127.0.0.1'] } },
      }),
    );
    const config = loadConfig(testEnv(path, { ...isolatedEnv(), ...options.env }));
    const api = await startApi(config);
    const worker = await startWorker(config);
    const db = new pg.Client({ connectionString: config.databaseUrl });
    await db.connect();
    return new VendorStack(vendor, resource, config, api, worker, db);
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.api.close();
    await this.db.end();
    await this.resource.close();
  }

  /** A one-node workflow on the `idp` profile calling the resource server's `GET /data`. */
  async register(name: string, oauth: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
    const response = await this.post(name, oauth, extra);
    if (response.status !== 201)
      throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  }

  async post(name: string, oauth: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const token = await this.vendor.mintUserToken('author', [WRITE]);
    return call(`${this.api.url}/v1/workflows`, {
      token,
      body: {
        name,
        agentId: 'expense-agent',
        defaults: { retry: { maxAttempts: 2, backoffMs: 50 }, timeoutMs: 5000 },
        nodes: [
          {
            id: 'fetch',
            type: 'http',
            oauth: { profile: 'idp', ...oauth },
            request: { method: 'GET', url: `${this.resource.url}/data` },
          },
        ],
        ...extra,
      },
    });
  }

  /** Starts a run with `token` and waits until it settles (succeeded, failed or waiting for a human). */
  async run(workflow: string, token: string) {
    const started = await call(`${this.api.url}/v1/workflows/${workflow}/runs`, { token, body: { input: {} } });
    if (started.status !== 202) throw new Error(`start failed: ${started.status} ${JSON.stringify(started.body)}`);
    const id = started.body.id as string;
    const settled = await eventually(
      () => call(`${this.api.url}/v1/runs/${id}`, { token }),
      (r) => ['succeeded', 'failed', 'cancelled', 'waiting_for_human'].includes(r.body?.status),
      20000,
    );
    return { id, run: settled.body, audit: await this.auditOf(id), escalations: await this.escalationsOf(id) };
  }

  async auditOf(runId: string): Promise<
    Array<{
      operation: string;
      success: boolean;
      scopes: string[] | null;
      target: string | null;
      error: string | null;
      details: any;
    }>
  > {
    const { rows } = await this.db.query(
      `SELECT operation, success, scopes, target, error, details FROM audit_entries WHERE run_id = $1 ORDER BY run_seq`,
      [runId],
    );
    return rows;
  }

  async escalationsOf(runId: string): Promise<Array<{ reason: string; status: string; detail: string }>> {
    const { rows } = await this.db.query(
      `SELECT reason, status, detail FROM escalations WHERE run_id = $1 ORDER BY created_at`,
      [runId],
    );
    return rows;
  }
}
