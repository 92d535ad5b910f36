/**
 * Time buckets of the audit stats (SPEC §7). Buckets are aligned to UTC boundaries; minutes,
 * hours and days have a fixed length in UTC (no daylight saving time, and neither JavaScript nor
 * Postgres count leap seconds), so alignment is a floor on the epoch.
 */
export const AuditStatsBucket = {
  Minute: 'minute',
  Hour: 'hour',
  Day: 'day',
} as const;
export type AuditStatsBucket = (typeof AuditStatsBucket)[keyof typeof AuditStatsBucket];
export const AUDIT_STATS_BUCKETS: readonly AuditStatsBucket[] = Object.values(AuditStatsBucket);

/** More buckets than this in one request is refused (400): a week of minutes is already 10,080. */
export const MAX_STATS_BUCKETS = 10_000;

const BUCKET_MS: Record<AuditStatsBucket, number> = {
  [AuditStatsBucket.Minute]: 60_000,
  [AuditStatsBucket.Hour]: 3_600_000,
  [AuditStatsBucket.Day]: 86_400_000,
};

/** The start of the UTC bucket holding `instant` (what `date_trunc(bucket, at, 'UTC')` gives). */
export function bucketStart(instant: Date, bucket: AuditStatsBucket): Date {
  const size = BUCKET_MS[bucket];
  return new Date(Math.floor(instant.getTime() / size) * size);
}

/** How many aligned buckets the half-open range `[from, to)` touches (0 when it is empty). */
export function bucketCount(from: Date, to: Date, bucket: AuditStatsBucket): number {
  if (to.getTime() <= from.getTime()) return 0;
  const first = bucketStart(from, bucket).getTime();
  const last = bucketStart(new Date(to.getTime() - 1), bucket).getTime();
  return (last - first) / BUCKET_MS[bucket] + 1;
}
