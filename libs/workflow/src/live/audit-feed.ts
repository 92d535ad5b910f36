import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ChannelListener, InjectConfig, SqlPool, type BatonConfig } from '@baton/platform';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { toAuditEntryView, type AuditEntryRow, type AuditEntryView } from '../audit/audit-entry.view.js';
import type { AuditFilter } from '../audit/audit-filter.js';
import { AUDIT_ENTRY_COLUMNS, auditConditions } from '../audit/audit-sql.js';
import { compareStreamPositions, type StreamPosition } from './stream-position.js';

/** An audit entry with its place in the stream. */
export interface FeedEntry {
  position: StreamPosition;
  entry: AuditEntryView;
  /** Its `event: audit` frame, built once however many streams send it (see auditFrame). */
  frame?: string;
}

/** Told synchronously of every batch of new final entries, in stream order; filters for itself. */
export interface FeedSubscriber {
  deliver(entries: readonly FeedEntry[]): void;
}

/** Entries per read: a burst is read in pages, each fanned out before the next. */
const READ_BATCH = 500;
/** When committed entries wait behind an older transaction still running, look again after this. */
const HORIZON_RETRY_MS = 20;
const RECONNECT_MS = 1000;
const HELD_BACK_WARNING_MS = 5000;

const NOTIFY_CHANNEL = 'baton_audit';
/**
 * Writers NOTIFY only while some feed is registered in `audit_stream_listeners` (a NOTIFY takes a
 * database-wide lock at commit: ~20 % of Postgres's throughput under concurrent writes). A feed
 * with subscribers keeps its row alive; a crashed api's row expires.
 */
const REGISTRATION_TTL_S = 60;
const REGISTRATION_REFRESH_MS = 20_000;
/**
 * A writer that checked for listeners just before this feed registered commits without a NOTIFY.
 * Its transaction is running when the registration commits, so one read shortly after covers
 * Baton's own (milliseconds long, within SPEC §13's 250 ms); a read every 2 s while subscribed
 * covers longer ones and a registration that lapsed while Postgres was away.
 */
const FIRST_READ_MS = 100;
const BACKSTOP_READ_MS = 2000;

/**
 * The read horizon: every audit entry with `tx` below it is final. A snapshot's in-progress list
 * (xip) names the writing transactions of the whole cluster; those positively seen running in
 * another database cannot write Baton's table, so they do not hold the stream back (a transaction
 * left open in another database would otherwise stall every stream). Xids that cannot be placed
 * (finished since, prepared, hidden by pg_stat_activity's permissions) count as Baton's: safe.
 * With none left, every xid below the snapshot's xmax is final.
 */
const HORIZON_CTE = `
  snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
  elsewhere AS MATERIALIZED (
    SELECT backend_xid::text AS xid FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()),
  horizon AS (
    SELECT coalesce(
      (SELECT min(x) FROM snap, pg_snapshot_xip(snap.s) AS x
        WHERE (x::text::numeric % 4294967296)::text NOT IN (SELECT xid FROM elsewhere)),
      (SELECT pg_snapshot_xmax(s) FROM snap)) AS h)`;
const COLUMNS = `tx::text AS tx, ${AUDIT_ENTRY_COLUMNS}`;

type FeedRow = AuditEntryRow & { tx: string; horizon?: string };

/**
 * One per api process: the committed audit trail as a live feed, in stream-position order
 * (SPEC §13). It LISTENs on one dedicated connection; each NOTIFY (sent at commit by any worker or
 * replica) makes it read the entries after its head that are final — below the oldest running
 * transaction — and fan them out to every subscriber at once. One read per wake-up, however many
 * subscribers; nothing runs while no one is subscribed.
 */
@Injectable()
export class AuditFeed implements OnModuleDestroy {
  private readonly logger = new Logger(AuditFeed.name);
  private readonly subscribers = new Set<FeedSubscriber>();
  /** LISTEN baton_audit; after a reconnect, reads whatever was committed meanwhile. */
  private readonly listener: ChannelListener;
  private holders = 0;
  private starting: Promise<void> | null = null;
  /** Every final entry up to here has been fanned out. Null while no one is subscribed. */
  private position: StreamPosition | null = null;
  private reading = false;
  private readAgain = false;
  private retry: NodeJS.Timeout | null = null;
  private heldSince: number | null = null;
  private warnedAbout: bigint | null = null;
  private closed = false;
  /** This process's row in audit_stream_listeners while it has subscribers. */
  private readonly listenerId = randomUUID();
  /** Registration changes, one after another (an unregister must not overtake the next register). */
  private registration: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private registered = false;

  constructor(
    private readonly sql: SqlPool,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() config: BatonConfig,
  ) {
    this.listener = new ChannelListener({
      databaseUrl: config.databaseUrl,
      channel: NOTIFY_CHANNEL,
      applicationName: 'baton-audit-feed',
      onNotify: () => this.wake(),
      onReconnected: () => this.wake(),
    });
  }

  /**
   * A stream opens: makes sure the feed is live and answers its head. A follower that catches up to
   * the head with readBetween and then joins (synchronously) misses nothing. Pair with release().
   */
  async retain(): Promise<StreamPosition> {
    this.holders++;
    try {
      while (!this.position) {
        this.starting ??= this.start().finally(() => (this.starting = null));
        await this.starting;
      }
      return this.position;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** A stream closed. With none left the feed forgets its head; the next one starts at the horizon. */
  release(): void {
    this.holders = Math.max(0, this.holders - 1);
    if (this.holders === 0) {
      this.position = null;
      this.stopListening();
    }
  }

  /** The head as it is now (between retain() and release()). */
  get currentHead(): StreamPosition {
    if (!this.position) throw new Error('AuditFeed.currentHead outside retain()/release()');
    return this.position;
  }

  join(subscriber: FeedSubscriber): void {
    this.subscribers.add(subscriber);
  }

  leave(subscriber: FeedSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** Final entries matching `filter` with after < position ≤ upTo, in stream order, at most `limit`. */
  async readBetween(
    filter: AuditFilter,
    after: StreamPosition,
    upTo: StreamPosition,
    limit = READ_BATCH,
  ): Promise<FeedEntry[]> {
    const { conditions, values } = auditConditions(filter);
    values.push(after.tx.toString(), after.id.toString(), upTo.tx.toString(), upTo.id.toString(), limit);
    const n = values.length;
    conditions.push(
      `(tx, id) > ($${n - 4}::xid8, $${n - 3}::bigint)`,
      `(tx, id) <= ($${n - 2}::xid8, $${n - 1}::bigint)`,
    );
    // The text varies with the filter, so it is not a named statement.
    const rows: FeedRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_entries WHERE ${conditions.join(' AND ')} ORDER BY tx, id LIMIT $${n}`,
      values,
    );
    return rows.map(toFeedEntry);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.stopListening();
    this.subscribers.clear();
    await this.registration;
    await this.listener.close();
  }

  private async start(): Promise<void> {
    await this.listener.start();
    if (this.holders === 0) return;
    // Registered before the horizon is read: a writer that missed the registration is still running
    // then, so its entries are after the head and the backstop read finds them.
    this.changeRegistration(true);
    this.registered = true;
    await this.registration;
    this.stopTimers();
    this.timers = [
      setInterval(() => this.changeRegistration(true), REGISTRATION_REFRESH_MS),
      setInterval(() => this.wake(), BACKSTOP_READ_MS),
    ];
    for (const timer of this.timers) timer.unref();
    this.scheduleRetry(FIRST_READ_MS);
    // Entries of transactions that finished before now are history; the stream starts at the horizon.
    const [row] = await this.sql.query<{ horizon: string }>(
      'baton_feed_horizon',
      `WITH ${HORIZON_CTE} SELECT h::text AS horizon FROM horizon`,
      [],
    );
    this.position ??= { tx: BigInt(row!.horizon), id: 0n };
    // Every holder left while this started.
    if (this.holders === 0) {
      this.position = null;
      this.stopListening();
    }
  }

  private wake(): void {
    if (!this.position || this.holders === 0) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    this.readNew()
      .catch((err: Error) => {
        this.logger.warn(`audit feed read failed: ${err.message}`);
        this.scheduleRetry(RECONNECT_MS);
      })
      .finally(() => {
        this.reading = false;
        if (this.readAgain) {
          this.readAgain = false;
          this.wake();
        }
      });
  }

  /** Reads and fans out every final entry after the head; looks again later for any held back. */
  private async readNew(): Promise<void> {
    for (;;) {
      const from = this.position;
      if (!from) return;
      const rows = await this.sql.query<FeedRow>(
        'baton_feed_after',
        `WITH ${HORIZON_CTE}
         SELECT ${COLUMNS}, horizon.h::text AS horizon FROM audit_entries, horizon
         WHERE (tx, id) > ($1::xid8, $2::bigint) ORDER BY tx, id LIMIT $3`,
        [from.tx.toString(), from.id.toString(), READ_BATCH],
      );
      if (rows.length === 0) return;
      // The horizon is the oldest of Baton's transactions still running in this statement's snapshot:
      // entries of older transactions are final; later ones (committed or not) wait, since one still
      // running could yet commit an entry ordered before them.
      const horizon = BigInt(rows[0]!.horizon!);
      const final = rows.filter((row) => BigInt(row.tx) < horizon).map(toFeedEntry);
      if (final.length > 0 && this.position === from) {
        this.position = final[final.length - 1]!.position;
        for (const subscriber of [...this.subscribers]) subscriber.deliver(final);
      }
      if (final.length < rows.length) {
        this.heldSince ??= Date.now();
        if (Date.now() - this.heldSince > HELD_BACK_WARNING_MS) await this.warnHeldBack(horizon);
        this.scheduleRetry(HORIZON_RETRY_MS);
        return;
      }
      this.heldSince = null;
      if (rows.length < READ_BATCH) return;
    }
  }

  /** Entries wait behind a transaction of Baton's database that stays open: name it, once per holder. */
  private async warnHeldBack(horizon: bigint): Promise<void> {
    if (this.warnedAbout === horizon) return;
    this.warnedAbout = horizon;
    const holders = await this.sql.query<Record<string, unknown>>(
      'baton_feed_holder',
      `SELECT pid, application_name, state, backend_xid::text AS xid, now() - xact_start AS open_for, left(query, 200) AS query
       FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND datname = current_database() ORDER BY xact_start LIMIT 3`,
      [],
    );
    this.logger.warn(
      { horizon: horizon.toString(), holders },
      'live events held back for over 5 s by a transaction still open in this database',
    );
  }

  /** Registers (or refreshes) this feed in audit_stream_listeners, or removes it; failures are logged, not thrown. */
  private changeRegistration(listening: boolean): void {
    this.registration = this.registration.then(async () => {
      try {
        if (listening)
          await this.sql.query(
            'baton_feed_register',
            // Rows of apps that died without unregistering go too, once well past their expiry.
            `WITH gone AS (DELETE FROM audit_stream_listeners WHERE expires_at < now() - interval '1 hour')
             INSERT INTO audit_stream_listeners (id, expires_at) VALUES ($1, now() + make_interval(secs => $2))
             ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
            [this.listenerId, REGISTRATION_TTL_S],
          );
        else
          await this.sql.query('baton_feed_unregister', `DELETE FROM audit_stream_listeners WHERE id = $1`, [
            this.listenerId,
          ]);
      } catch (err) {
        this.logger.warn(
          `audit feed ${listening ? 'registration' : 'unregistration'} failed: ${(err as Error).message}`,
        );
      }
    });
  }

  /** No subscriber left (or shutting down): writers may stop notifying. */
  private stopListening(): void {
    this.stopTimers();
    if (!this.registered) return;
    this.registered = false;
    this.changeRegistration(false);
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  private scheduleRetry(ms: number): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.wake();
    }, ms);
    this.retry.unref();
  }
}

function toFeedEntry(row: FeedRow): FeedEntry {
  return { position: { tx: BigInt(row.tx), id: BigInt(row.id) }, entry: toAuditEntryView(row) };
}

/** The later of two positions. */
export function laterPosition(a: StreamPosition, b: StreamPosition): StreamPosition {
  return compareStreamPositions(a, b) >= 0 ? a : b;
}
