import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError, DomainErrorCode, decodeCursor, toPage, type Page } from '@baton/platform';
import { DataSource } from 'typeorm';
import { toAuditEntryView, type AuditEntryRow, type AuditEntryView } from './audit-entry.view.js';
import { AUDIT_ENTRY_COLUMNS } from './audit-sql.js';

/** Reads one run's audit trail. */
@Injectable()
export class AuditReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * A run's entries, oldest first, keyset on the run's chain position (index audit_run_chain).
   * Positions are assigned under a per-run lock held until commit, so paging, even while the run
   * is still writing, never skips or repeats an entry.
   */
  async forRun(runId: string, limit: number, cursor?: string): Promise<Page<AuditEntryView>> {
    const after = cursor === undefined ? 0 : decodeRunSeqCursor(cursor);
    const rows: (AuditEntryRow & { runSeq: number })[] = await this.dataSource.query(
      `SELECT ${AUDIT_ENTRY_COLUMNS}, run_seq AS "runSeq" FROM audit_entries WHERE run_id = $1::uuid AND run_seq > $2 ORDER BY run_seq LIMIT $3`,
      [runId, after, limit + 1],
    );
    const page = toPage(rows, limit, (e) => [e.runSeq]);
    return { items: page.items.map(toAuditEntryView), nextCursor: page.nextCursor };
  }
}

function decodeRunSeqCursor(cursor: string): number {
  const [seq] = decodeCursor(cursor, 1);
  if (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 && seq <= 2_147_483_647) return seq;
  throw new DomainError(DomainErrorCode.InvalidInput, 'Malformed cursor', [
    { path: '$.query.cursor', message: 'is not a cursor this API issued' },
  ]);
}
