/** No retry waits longer than this, whatever the backoff or the server's `Retry-After` says. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;

export interface RetryDelayInput {
  /** The attempt that just failed (1 for the first). */
  readonly attempt: number;
  /** The node's `retry.backoffMs`: the first retry's nominal delay, doubled for each later one. */
  readonly backoffMs: number;
  /** What the server asked for (`Retry-After`), when it did: a floor, never shortened by jitter. */
  readonly retryAfterMs?: number;
  readonly capMs?: number;
  /** A number in [0, 1); injectable so the rule is testable. */
  readonly random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the nominal delay is fixed, half random, so retries
 * of many nodes that failed together (a downstream outage) do not come back in lockstep, while each
 * still waits at least half its nominal delay. `Retry-After` is honoured as a floor; the cap bounds
 * everything.
 */
export function retryDelayMs(input: RetryDelayInput): number {
  const cap = input.capMs ?? MAX_RETRY_DELAY_MS;
  const exponent = Math.min(Math.max(input.attempt - 1, 0), 30);
  const nominal = Math.min(Math.max(input.backoffMs, 0) * 2 ** exponent, cap);
  const random = Math.min(Math.max((input.random ?? Math.random)(), 0), 1);
  const jittered = nominal / 2 + (nominal / 2) * random;
  return Math.round(Math.min(Math.max(jittered, input.retryAfterMs ?? 0), cap));
}
