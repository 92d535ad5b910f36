import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectConfig, redisConnectionOptions, type BatonConfig } from '@baton/platform';
import { Redis } from 'ioredis';
import { z } from 'zod';

/** What every api and worker process must hear at once when a security event is applied. */
export interface RevocationNotice {
  /** `subjectTokenDigest`s of the subject tokens deleted: workers drop what they exchanged from them. */
  digests: string[];
  eventType: string;
  /** Cut-offs recorded: every api replica refuses the older tokens of these subjects. */
  cutoffs: {
    issuer: string;
    kind: 'sub' | 'email';
    value: string;
    sid: string;
    notBefore: string;
    expiresAt: string;
  }[];
}

const noticeSchema = z.object({
  digests: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(1_000_000),
  eventType: z.string().max(2048),
  cutoffs: z.array(
    z.object({
      issuer: z.string(),
      kind: z.enum(['sub', 'email']),
      value: z.string(),
      sid: z.string(),
      notBefore: z.iso.datetime(),
      expiresAt: z.iso.datetime(),
    }),
  ),
});

/**
 * A Redis pub/sub channel (per queue prefix) between every api and worker process. It carries
 * digests and subject names, never a token. Redis remembers nothing here: a process that was
 * disconnected hears `onReconnected` and reloads what it must from Postgres (the cut-offs); the
 * revoked runs themselves are in Postgres already (their subject tokens are deleted).
 */
@Injectable()
export class SecurityBroadcast implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SecurityBroadcast.name);
  private readonly channel: string;
  private publisher?: Redis;
  private subscriber?: Redis;
  private readonly noticeListeners: ((notice: RevocationNotice) => void)[] = [];
  private readonly reconnectListeners: (() => void)[] = [];

  constructor(@InjectConfig() private readonly config: BatonConfig) {
    this.channel = `${config.queuePrefix}:security-events`;
  }

  onModuleInit(): void {
    const options = { ...redisConnectionOptions(this.config.redisUrl), lazyConnect: true };
    this.publisher = new Redis({ ...options, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.subscriber = new Redis(options);
    this.publisher.on('error', () => {}); // reported where it matters: publish() logs a failed notice
    this.subscriber.on('error', () => {});
    let connectedOnce = false;
    this.subscriber.on('ready', () => {
      if (connectedOnce) for (const listener of this.reconnectListeners) listener();
      connectedOnce = true;
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.deliver(message);
    });
    // Boot never waits on Redis (the api must come up and report it not ready): the subscription is
    // queued until Redis answers, and ioredis subscribes again by itself after every reconnect.
    void this.publisher.connect().catch(() => {});
    void this.subscriber.connect().catch(() => {});
    void this.subscriber.subscribe(this.channel).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not subscribe to security notices');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }

  onNotice(listener: (notice: RevocationNotice) => void): void {
    this.noticeListeners.push(listener);
  }

  /** After Redis comes back: notices sent meanwhile are lost, so listeners reload from Postgres. */
  onReconnected(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Tells every other process; this one applies the notice itself before calling. Never throws. */
  async publish(notice: RevocationNotice): Promise<void> {
    try {
      await this.publisher!.publish(this.channel, JSON.stringify(notice));
    } catch (error) {
      this.logger.warn(
        { err: error, eventType: notice.eventType },
        'could not broadcast a security event; other processes learn of it from Postgres',
      );
    }
  }

  private deliver(message: string): void {
    let notice: RevocationNotice;
    try {
      notice = noticeSchema.parse(JSON.parse(message));
    } catch {
      this.logger.warn('ignored a malformed security notice');
      return;
    }
    for (const listener of this.noticeListeners) listener(notice);
  }
}
