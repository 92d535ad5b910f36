/** SPEC §10.4: a release is tried once and retried up to this many times. */
export const RELEASE_RETRIES = 5;

/** Whether a revocation answer is worth another try: no answer (network), 429 or 5xx; anything else is final. */
export function isRetryableRelease(status: number | null): boolean {
  return status === null || status === 429 || status >= 500;
}

/** The wait before retry `retry` (1-based): `baseMs`, doubling, capped at 60 s. */
export function releaseRetryDelayMs(retry: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** (retry - 1), 60_000);
}
