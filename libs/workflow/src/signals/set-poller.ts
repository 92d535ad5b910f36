import { Injectable, Logger, type OnApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, allTransmitters, type BatonConfig, type SsfTransmitter } from '@baton/platform';
import { SetRefusal } from '@baton/oauth';
import pg from 'pg';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import { SetIntake } from './set-intake.js';

/** The advisory lock whose holder is the deployment's one poller. */
const POLLER_LOCK_KEY = 'baton:ssf-poller';
/** How often a worker that is not the poller tries to become it. */
const ELECTION_EVERY_MS = 2000;
const MAX_BACKOFF_MS = 60_000;
const POLL_TIMEOUT_MS = 10_000;

interface PollAnswer {
  sets?: Record<string, unknown>;
  moreAvailable?: boolean;
}

/**
 * RFC 8936 poll delivery (SPEC §10.2): every worker competes for one Postgres session-level
 * advisory lock, and the holder polls each `poll` transmitter. The lock lives with its connection,
 * so when that worker dies (or Postgres restarts) another takes over within seconds; nothing about
 * it is kept in Redis. Accepted SETs (duplicates too) are acknowledged and refused ones reported in
 * `setErrs` with the next request; one the sink could not record (Postgres down) is neither, so the
 * transmitter sends it again.
 */
@Injectable()
export class SetPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SetPoller.name);
  private readonly transmitters: SsfTransmitter[];
  private lockClient: pg.Client | null = null;
  private electionTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly loops = new Set<Promise<void>>();
  private readonly aborts = new AbortController();

  constructor(
    @InjectConfig() private readonly config: BatonConfig,
    private readonly intake: SetIntake,
    private readonly metrics: EngineMetrics,
  ) {
    this.transmitters = allTransmitters(config).filter((t) => t.delivery === 'poll');
  }

  /** True while this worker holds the poller lock. */
  get isPoller(): boolean {
    return this.lockClient !== null;
  }

  onApplicationBootstrap(): void {
    if (this.transmitters.length === 0) return;
    void this.elect();
    this.electionTimer = setInterval(() => void this.elect(), ELECTION_EVERY_MS);
    this.electionTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.electionTimer);
    this.aborts.abort();
    await Promise.allSettled([...this.loops]);
    await this.resign();
  }

  private async elect(): Promise<void> {
    if (this.stopped) return;
    if (this.lockClient) return this.checkLock(this.lockClient);
    // Keepalives make Postgres free the lock within ~25 s of this host vanishing (not hours).
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      keepAlive: true,
      options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    });
    client.on('error', () => void this.resign(client));
    try {
      await client.connect();
      const [row] = (
        await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [
          POLLER_LOCK_KEY,
        ])
      ).rows;
      if (!row?.locked || this.stopped) {
        await client.end();
        return;
      }
    } catch {
      await client.end().catch(() => {});
      return;
    }
    this.lockClient = client;
    client.on('end', () => void this.resign(client));
    this.logger.log(`this worker polls ${this.transmitters.length} Shared Signals transmitter(s)`);
    for (const transmitter of this.transmitters) {
      const loop = this.pollLoop(transmitter, client).finally(() => this.loops.delete(loop));
      this.loops.add(loop);
    }
  }

  /** The poller stops polling as soon as its lock connection stops answering (another may hold the lock then). */
  private async checkLock(client: pg.Client): Promise<void> {
    try {
      await client.query({ text: 'SELECT 1', query_timeout: ELECTION_EVERY_MS } as never);
    } catch {
      await this.resign(client);
    }
  }

  /** Gives up the lock (its connection closes): another worker becomes the poller. */
  private async resign(client: pg.Client | null = this.lockClient): Promise<void> {
    if (!client) return;
    if (this.lockClient === client) this.lockClient = null;
    await client.end().catch(() => {});
  }

  private async pollLoop(transmitter: SsfTransmitter, holder: pg.Client): Promise<void> {
    let ack: string[] = [];
    let setErrs: Record<string, { err: string; description: string }> = {};
    let backoffMs = 0;
    while (!this.stopped && this.lockClient === holder) {
      let answer: PollAnswer;
      try {
        answer = await this.poll(transmitter, ack, setErrs);
        this.metrics.ssfPolls.inc({ result: 'ok' });
        this.metrics.ssfPollLastSuccess.set({ transmitter: transmitter.issuer }, Date.now() / 1000);
        ack = [];
        setErrs = {};
        backoffMs = 0;
      } catch (error) {
        this.metrics.ssfPolls.inc({ result: 'error' });
        backoffMs = Math.min(Math.max(backoffMs * 2, transmitter.pollIntervalSeconds * 1000), MAX_BACKOFF_MS);
        if (!this.stopped)
          this.logger.warn({ err: error, transmitter: transmitter.issuer, retryInMs: backoffMs }, 'SSF poll failed');
        await this.sleep(backoffMs);
        continue;
      }
      let unrecorded = false;
      const sets = typeof answer.sets === 'object' && answer.sets !== null ? answer.sets : {};
      for (const [jti, set] of Object.entries(sets)) {
        try {
          if (typeof set !== 'string') throw new SetRefusal('invalid_request', 'the SET is not a string');
          await this.intake.accept(set, 'poll');
          ack.push(jti);
        } catch (error) {
          if (error instanceof SetRefusal) setErrs[jti] = { err: error.err, description: error.description };
          // else: not recorded (Postgres down); left unacknowledged, the transmitter sends it again.
          else unrecorded = true;
        }
      }
      if (answer.moreAvailable === true && !unrecorded) continue;
      await this.sleep(transmitter.pollIntervalSeconds * 1000);
    }
  }

  private async poll(
    transmitter: SsfTransmitter,
    ack: string[],
    setErrs: Record<string, { err: string; description: string }>,
  ): Promise<PollAnswer> {
    const response = await fetch(transmitter.pollEndpoint!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(transmitter.authorization && { authorization: `Bearer ${transmitter.authorization}` }),
      },
      body: JSON.stringify({ maxEvents: 100, returnImmediately: true, ack, setErrs }),
      signal: AbortSignal.any([AbortSignal.timeout(POLL_TIMEOUT_MS), this.aborts.signal]),
      redirect: 'error',
    });
    if (!response.ok) throw new Error(`the poll endpoint answered ${response.status}`);
    const answer = (await response.json()) as PollAnswer;
    if (typeof answer !== 'object' || answer === null) throw new Error('the poll endpoint answered no object');
    return answer;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.aborts.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.aborts.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
