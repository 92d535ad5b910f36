import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** `GET /v1/runs/{id}/audit/verify` (SPEC §6, §7). */
export interface AuditChainVerdict {
  valid: boolean;
  /** Rows present for the run. */
  entries: number;
  /** The first entry (in chain order) whose hash or link does not match; null when all do. */
  brokenAt: string | null;
}

/**
 * Recomputes a run's hash chain in the database, with the same `baton_audit_hash` the insert
 * trigger uses, and checks each link: an entry's stored hash must equal the hash of its content,
 * its `prev_hash` must equal the previous entry's hash (none for the first), and its `run_seq`
 * must follow the previous one (1 for the first). An entry altered behind the append-only trigger's
 * back breaks at that entry; one altered and re-hashed breaks at the next entry; one removed from
 * the middle (or the start) breaks at the entry after the gap.
 *
 * What a chain alone cannot show: the newest entries cut off the end, or the whole trail rewritten
 * by someone who can also recompute every hash. Anchoring the latest hash outside the database
 * (a signed receipt, a transparency log) would close that; it is not part of this contract.
 */
@Injectable()
export class AuditChainVerifier {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async verify(runId: string): Promise<AuditChainVerdict> {
    const [row]: { entries: string; broken_at: string | null }[] = await this.dataSource.query(VERIFY_CHAIN, [runId]);
    const brokenAt = row?.broken_at ?? null;
    return {
      valid: brokenAt === null,
      entries: Number(row?.entries ?? 0),
      brokenAt: brokenAt === null ? null : String(brokenAt),
    };
  }
}

const VERIFY_CHAIN = `
  WITH chain AS (
    SELECT a.id, a.run_seq, a.prev_hash, a.hash,
           baton_audit_hash(a) AS expected_hash,
           lag(a.hash) OVER w AS previous_hash,
           lag(a.run_seq) OVER w AS previous_seq
    FROM audit_entries a
    WHERE a.run_id = $1::uuid
    WINDOW w AS (ORDER BY a.run_seq, a.id)
  )
  SELECT (SELECT count(*) FROM chain) AS entries,
         (SELECT id FROM chain
           WHERE hash IS DISTINCT FROM expected_hash
              OR prev_hash IS DISTINCT FROM previous_hash
              OR run_seq IS DISTINCT FROM coalesce(previous_seq, 0) + 1
           ORDER BY run_seq, id
           LIMIT 1) AS broken_at`;
