import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig, type BatonConfig } from '@baton/platform';
import pg from 'pg';
import { NodeQueue } from './node-queue.js';

/** The channel the tree trigger (migration 1733300000000) announces a parent's newly queued nodes on. */
export const NODES_READY_CHANNEL = 'baton_nodes_ready';
const RECONNECT_MS = 1000;

/**
 * SPEC §11: a child run that ends settles its parent node inside the child's transaction, in SQL;
 * the nodes that settlement made ready are queued in Postgres but no JavaScript caller knows them.
 * The trigger NOTIFYs them (delivered at commit) and every worker enqueues them (job ids are
 * deterministic, so several workers enqueuing the same node make one job). If no worker was
 * listening, the sweeper finds the queued rows after `STALE_QUEUED_SECONDS`.
 */
@Injectable()
export class ReadyNodesListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReadyNodesListener.name);
  private client: pg.Client | null = null;
  private closed = false;

  constructor(
    private readonly queue: NodeQueue,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen().catch((err: Error) => {
      this.logger.warn(`cannot listen for ready nodes (${err.message}); retrying`);
      this.again();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      application_name: 'baton-ready-nodes',
      connectionTimeoutMillis: 5000,
    });
    await client.connect();
    try {
      await client.query(`LISTEN ${NODES_READY_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      client.end().catch(() => undefined);
      return;
    }
    client.on('notification', (message) => void this.enqueue(message.payload));
    client.on('error', (err) => this.lost(client, err.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    this.client = client;
  }

  private async enqueue(payload: string | undefined): Promise<void> {
    try {
      const { runId, nodes } = JSON.parse(payload ?? '') as { runId: string; nodes: string[] };
      await this.queue.enqueueAfterCommit(nodes.map((nodeId) => ({ runId, nodeId, attempt: 1 })));
    } catch (err) {
      this.logger.warn({ err }, 'unreadable ready-nodes notification; the sweeper will enqueue its nodes');
    }
  }

  private lost(client: pg.Client, why: string): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    this.logger.warn(`ready-nodes connection lost (${why}); reconnecting`);
    client.end().catch(() => undefined);
    this.again();
  }

  private again(): void {
    setTimeout(() => {
      if (this.closed) return;
      this.listen().catch((err: Error) => {
        this.logger.warn(`ready-nodes listener cannot reconnect: ${err.message}`);
        this.again();
      });
    }, RECONNECT_MS).unref();
  }
}
