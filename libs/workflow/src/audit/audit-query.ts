import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { toPage, type Page } from '@baton/platform';
import { DataSource } from 'typeorm';
import { auditCursorKey, type AuditKey } from './audit-cursor.js';
import { toAuditEntryView, type AuditEntryRow, type AuditEntryView } from './audit-entry.view.js';
import type { AuditExportQuery, AuditListQuery } from './audit-filter.js';
import type { AuditStatsBucket } from './audit-stats-buckets.js';
import type { AuditStatsGroupBy, AuditStatsQuery } from './audit-stats-query.js';
import { auditEntriesStatement, auditStatsStatement } from './audit-sql.js';

/** Counts for one UTC bucket and one group (null when the entries have no value there). */
export interface AuditStatsItem {
  start: string;
  group: string | null;
  success: number;
  failure: number;
}

export interface AuditStats {
  bucket: AuditStatsBucket;
  groupBy: AuditStatsGroupBy;
  from: string;
  to: string;
  /** Only buckets and groups with at least one entry, by start then group. */
  items: AuditStatsItem[];
}

/** Rows per statement of an export: large enough to be cheap, small enough to keep memory flat. */
export const AUDIT_EXPORT_BATCH = 1000;

/**
 * Reads the audit trail for dashboards: filtered keyset lists, stats and exports (SPEC §7).
 *
 * Lists and exports are ordered by `(at, id)`, a total order over rows that never change, and each
 * page continues strictly after the previous page's last entry. What that gives under concurrent
 * writers:
 * - a walk through the pages never repeats an entry;
 * - every matching entry already committed when the first page was read appears exactly once;
 * - an entry committed later appears only if it sorts after the page being read: for `desc`, new
 *   entries land at the head (a fresh walk sees them); for `asc`, they are picked up at the tail.
 * `at` and the id are taken at insert, not at commit, so a transaction that commits late can add an
 * entry behind an `asc` reader that already passed its time: a tailing client may miss it. A run's
 * own trail (`GET /v1/runs/{id}/audit`) is paged by chain position instead, which is assigned under
 * a per-run lock held until commit, so it has no such gap.
 */
@Injectable()
export class AuditQuery {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(query: AuditListQuery): Promise<Page<AuditEntryView>> {
    const statement = auditEntriesStatement(query.filter, query.order, { after: query.after, limit: query.limit + 1 });
    const rows: AuditEntryRow[] = await this.dataSource.query(statement.text, statement.values);
    const page = toPage(rows, query.limit, (row) => auditCursorKey(query.order, keyOf(row)));
    return { items: page.items.map(toAuditEntryView), nextCursor: page.nextCursor };
  }

  async stats(query: AuditStatsQuery): Promise<AuditStats> {
    const statement = auditStatsStatement(query);
    const rows: { start: Date; group: string | null; success: string; failure: string }[] = await this.dataSource.query(
      statement.text,
      statement.values,
    );
    return {
      bucket: query.bucket,
      groupBy: query.groupBy,
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      items: rows.map((r) => ({
        start: new Date(r.start).toISOString(),
        group: r.group,
        success: Number(r.success),
        failure: Number(r.failure),
      })),
    };
  }

  /**
   * Every matching entry, in batches of keyset queries (constant memory however many rows match;
   * no connection is held between batches, so a slow reader never pins one). The export stops at
   * the time it began: entries stamped later are left out, so an `asc` export under heavy writing
   * still ends. Aborting `signal` stops it before the next batch.
   */
  async *export(
    query: AuditExportQuery,
    options: { batchSize?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<AuditEntryView[]> {
    const batchSize = options.batchSize ?? AUDIT_EXPORT_BATCH;
    const [{ horizon }]: { horizon: Date }[] = await this.dataSource.query(
      `SELECT date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' AS horizon`,
    );
    const to = query.filter.to && query.filter.to.getTime() < horizon.getTime() ? query.filter.to : horizon;
    const filter = { ...query.filter, to };
    let after: AuditKey | undefined;
    while (!options.signal?.aborted) {
      const statement = auditEntriesStatement(filter, query.order, { after, limit: batchSize });
      const rows: AuditEntryRow[] = await this.dataSource.query(statement.text, statement.values);
      if (rows.length > 0 && !options.signal?.aborted) yield rows.map(toAuditEntryView);
      if (rows.length < batchSize) return;
      after = keyOf(rows[rows.length - 1]!);
    }
  }
}

function keyOf(row: AuditEntryRow): AuditKey {
  return { at: new Date(row.at), id: String(row.id) };
}
