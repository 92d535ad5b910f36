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
 * The limit after one window: gradient = clamp(target ÷ mean round trip, ½, 1); new = limit ×
 * gradient + √limit (headroom: a saturated worker whose completions stay fast grows); the limit
 * moves `smoothing` of the way there, within [min, max]. It never grows in a window that did not
 * fill it — a lone run must not raise it to the maximum for the next burst — and a saturated window
 * without completions (every slot in a slow call) counts as fast. Fractional inside; the worker
 * rounds it when it applies it.
 */
export function nextConcurrencyLimit(
  limit: number,
  window: ConcurrencyWindow,
  settings: ConcurrencyLimitSettings = DEFAULT_CONCURRENCY_LIMIT,
): number {
  const valid = window.samples.filter((s) => Number.isFinite(s) && s >= 0);
  const mean = valid.length === 0 ? 0 : valid.reduce((sum, s) => sum + s, 0) / valid.length;
  const gradient = mean <= settings.targetMs ? 1 : Math.max(0.5, settings.targetMs / mean);
  const next = limit + settings.smoothing * (limit * gradient + Math.sqrt(limit) - limit);
  return clamp(window.saturated ? next : Math.min(limit, next), settings.min, settings.max);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
