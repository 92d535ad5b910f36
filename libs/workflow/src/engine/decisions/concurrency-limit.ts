/**
 * How many node jobs one worker runs at once, adapted to the latency of its own transitions — the
 * gradient controller of Envoy's adaptive-concurrency filter and Netflix's concurrency-limits, on
 * Baton's signal: the round trip of a step's completion (the statement that records a step and
 * claims the next). When the machine or Postgres saturates, that round trip grows with every extra
 * chain in flight while throughput does not (Little's law), so each run's step gap grows for
 * nothing; when downstream calls are slow, completions stay fast and the limit climbs to the
 * maximum. Pure: the worker feeds it one window of samples at a time.
 */
export interface ConcurrencyLimitSettings {
  min: number;
  max: number;
  /**
   * The completion round trip (ms) above which the limit shrinks. Fixed rather than learned (as
   * Envoy's `min_rtt_calc_params.fixed_value` allows): a learned minimum drifts with sustained load
   * unless concurrency is periodically dropped to re-measure it, which chained runs make slow.
   */
  targetMs: number;
  /** Weight of the new limit against the previous one (0–1): damps oscillation. */
  smoothing: number;
}

export const DEFAULT_CONCURRENCY_LIMIT: ConcurrencyLimitSettings = {
  min: 4,
  max: 32,
  targetMs: 10,
  smoothing: 0.5,
};

/** What one window saw: its completions' round trips (ms), and whether its jobs ever filled the limit. */
export interface ConcurrencyWindow {
  samples: readonly number[];
  /** The limit was reached in this window: only then can a higher one help (else the worker is app-limited). */
  saturated: boolean;
}

/**
 * The limit after one window: gradient = clamp(target ÷ median round trip, ½, 1); new = limit ×
 * gradient + √limit (headroom: a saturated worker whose completions stay fast grows); the limit
 * moves `smoothing` of the way there, within [min, max]. It never grows in a window that did not
 * fill it — a lone run must not raise it to the maximum for the next burst — and a saturated window
 * without completions (every slot in a slow call) counts as fast. Fractional inside; the worker
 * rounds it when it applies it.
 *
 * The median, not the mean (Envoy aggregates its samples at p50 too): a burst of run starts makes a
 * few completions of a window slow, and with the mean those few cut the limit by up to a quarter
 * per window — in the bench it dipped from ~19 to 9–11 at each burst, and Baton made 0.80–0.91× the
 * floor's steps/s; with the median 1.03–1.04×, the tail under load the same (README, Performance).
 */
export function nextConcurrencyLimit(
  limit: number,
  window: ConcurrencyWindow,
  settings: ConcurrencyLimitSettings = DEFAULT_CONCURRENCY_LIMIT,
): number {
  const valid = window.samples.filter((s) => Number.isFinite(s) && s >= 0);
  const typical = median(valid);
  const gradient = typical <= settings.targetMs ? 1 : Math.max(0.5, settings.targetMs / typical);
  const next = limit + settings.smoothing * (limit * gradient + Math.sqrt(limit) - limit);
  return clamp(window.saturated ? next : Math.min(limit, next), settings.min, settings.max);
}

/** The middle sample, or the mean of the two middle ones; 0 for none (a window without completions). */
function median(samples: readonly number[]): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
