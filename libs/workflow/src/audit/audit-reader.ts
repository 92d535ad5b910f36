import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeCursor, toPage, type Page } from '@baton/platform';
import { DataSource } from 'typeorm';
import { AuditEntryEntity } from '../persistence/audit-entry.entity.js';
import { toAuditEntryView, type AuditEntryView } from './audit-entry.view.js';

/** Reads the audit trail. */
@Injectable()
export class AuditReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A run's entries, oldest first, keyset on the run's chain position. */
  async forRun(runId: string, limit: number, cursor?: string): Promise<Page<AuditEntryView>> {
    const qb = this.dataSource
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .where('a.run_id = :runId', { runId })
      .orderBy('a.run_seq', 'ASC')
      .limit(limit + 1);
    if (cursor) qb.andWhere('a.run_seq > :after', { after: Number(decodeCursor(cursor, 1)[0]) });
    const page = toPage(await qb.getMany(), limit, (e) => [e.runSeq ?? 0]);
    return { items: page.items.map(toAuditEntryView), nextCursor: page.nextCursor };
  }
}
