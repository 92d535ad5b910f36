import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import type { BatonConfig } from '../../libs/platform/src/index.js';
import { call, startApi, type RunningApi } from './api.js';
import { testConfig, type TestYamlOptions } from './config.js';
import { DevAuth } from './dev-auth.js';
import { isolatedEnv } from './isolation.js';
import { ResourceServer } from './resource-server.js';
import { eventually } from './waiting.js';
import { startWorker } from './worker.js';

export const WRITE = 'baton:workflows:write';

/**
 * Everything a run needs, for real: the dev authorization server, a recording resource server,
 * the API and a worker (in this process), on a database and queue prefix of the suite's own.
 */
export class RunStack {
  private constructor(
    readonly auth: DevAuth,
    readonly resource: ResourceServer,
    readonly config: BatonConfig,
    readonly api: RunningApi,
    public worker: INestApplication | null,
    readonly db: pg.Client,
  ) {}

  static async start(
    yaml: Partial<TestYamlOptions> = {},
    options: {
      exchangedTokenTtlSeconds?: number;
      env?: Record<string, string>;
      /** baton.yaml keys that need the dev authorization server's issuer. */
      extraFor?: (issuer: string) => Record<string, unknown>;
    } = {},
  ): Promise<RunStack> {
    const auth = await DevAuth.start({ exchangedTokenTtlSeconds: options.exchangedTokenTtlSeconds });
    const resource = await ResourceServer.start();
    const extra = { ...yaml.extra, ...options.extraFor?.(auth.issuer) };
    const config = testConfig({ issuer: auth.issuer, ...yaml, extra }, { ...isolatedEnv(), ...options.env });
    const api = await startApi(config);
    const worker = await startWorker(config);
    const db = new pg.Client({ connectionString: config.databaseUrl });
    await db.connect();
    return new RunStack(auth, resource, config, api, worker, db);
  }

  async stopWorker(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
  }

  async startWorker(): Promise<void> {
    this.worker ??= await startWorker(this.config);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.api.close();
    await this.db.end();
    await this.resource.close();
    await this.auth.close();
  }

  async register(definition: Record<string, unknown>): Promise<void> {
    const token = await this.auth.mintToken('admin', [WRITE]);
    const response = await call(`${this.api.url}/v1/workflows`, { token, body: definition });
    if (response.status !== 201)
      throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  }

  async startRun(
    workflow: string,
    token: string,
    input: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    return call(`${this.api.url}/v1/workflows/${workflow}/runs`, { token, body: { input }, headers });
  }

  getRun(id: string, token: string) {
    return call(`${this.api.url}/v1/runs/${id}`, { token });
  }

  /** Waits until the run reaches one of `statuses` (or times out) and returns it. */
  async waitForRun(
    id: string,
    token: string,
    statuses: string[] = ['succeeded', 'failed', 'cancelled', 'waiting_for_human'],
    timeoutMs = 20000,
  ) {
    const response = await eventually(
      () => this.getRun(id, token),
      (r) => statuses.includes(r.body?.status),
      timeoutMs,
    );
    return response.body;
  }

  async auditOf(runId: string): Promise<
    {
      operation: string;
      node_id: string | null;
      success: boolean;
      scopes: string[] | null;
      target: string | null;
      error: string | null;
      details: any;
    }[]
  > {
    const { rows } = await this.db.query(
      `SELECT operation, node_id, success, scopes, target, error, details FROM audit_entries WHERE run_id = $1 ORDER BY run_seq`,
      [runId],
    );
    return rows;
  }

  async escalationsOf(
    runId: string,
  ): Promise<{ id: string; reason: string; status: string; node_id: string; detail: string; prompt: string | null }[]> {
    const { rows } = await this.db.query(
      `SELECT id, reason, status, node_id, detail, prompt FROM escalations WHERE run_id = $1 ORDER BY created_at`,
      [runId],
    );
    return rows;
  }

  /** Waits for the run's open escalation (the newest) and returns it. */
  async openEscalation(runId: string, timeoutMs = 15000) {
    const rows = await eventually(
      () => this.escalationsOf(runId),
      (r) => r.some((e) => e.status === 'open'),
      timeoutMs,
    );
    const open = rows.filter((e) => e.status === 'open').at(-1);
    if (!open) throw new Error(`run ${runId} has no open escalation: ${JSON.stringify(rows)}`);
    return open;
  }

  resolve(escalationId: string, token: string, body: Record<string, unknown>) {
    return call(`${this.api.url}/v1/escalations/${escalationId}/resolve`, { token, body });
  }
}
