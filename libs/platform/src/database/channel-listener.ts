import { Logger } from '@nestjs/common';
import pg from 'pg';

const RECONNECT_MS = 1000;

export interface ChannelListenerOptions {
  databaseUrl: string;
  channel: string;
  /** The connection's `application_name` (what pg_stat_activity shows). */
  applicationName: string;
  /** Each NOTIFY on the channel (delivered at its transaction's commit). */
  onNotify(payload: string | undefined): void;
  /** After a lost connection is back: notifications sent meanwhile were missed, catch up. */
  onReconnected?(): void;
}

/**
 * One dedicated Postgres connection LISTENing on one channel (pooled connections cannot hold a
 * LISTEN), reconnected every second when it drops until `close()`. Used by the audit feed (SPEC §13)
 * and the ready-nodes listener (SPEC §11).
 */
export class ChannelListener {
  private readonly logger: Logger;
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: ChannelListenerOptions) {
    this.logger = new Logger(`ChannelListener:${options.channel}`);
  }

  get listening(): boolean {
    return this.client !== null;
  }

  /** Connects and LISTENs (once; later calls wait for the same attempt). Throws when Postgres refuses. */
  start(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Like start(), but a failure is logged and retried in the background instead of thrown. */
  startInBackground(): void {
    this.start().catch((err: Error) => {
      this.logger.warn(`cannot listen on ${this.options.channel} (${err.message}); retrying`);
      this.again();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: this.options.applicationName,
      connectionTimeoutMillis: 5000,
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      client.end().catch(() => undefined);
      return;
    }
    client.on('notification', (message) => this.options.onNotify(message.payload));
    client.on('error', (err) => this.lost(client, err.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    this.client = client;
  }

  private lost(client: pg.Client, why: string): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    this.logger.warn(`connection lost (${why}); reconnecting`);
    client.end().catch(() => undefined);
    this.again();
  }

  private again(): void {
    setTimeout(() => {
      if (this.closed) return;
      this.start().then(
        () => this.options.onReconnected?.(),
        (err: Error) => {
          this.logger.warn(`cannot reconnect: ${err.message}`);
          this.again();
        },
      );
    }, RECONNECT_MS).unref();
  }
}
