import { parseRetryAfter } from './retry-after.js';

/**
 * What a downstream answer means for a node (SPEC §4 step 4): 401 → drop the cached token and
 * exchange once more; 403 → `insufficient_scope`; 5xx/429 → retry policy; other 4xx → node fails.
 * Anything below 400 is the node's output.
 */
export type DownstreamStatusKind = 'ok' | 'unauthorized' | 'forbidden' | 'transient' | 'client_error';

export interface DownstreamStatusClass {
  kind: DownstreamStatusKind;
  /** From `Retry-After`, only for `transient`. */
  retryAfterMs?: number;
}

export function classifyDownstreamStatus(
  status: number,
  retryAfterHeader?: string | null,
  now: number = Date.now(),
): DownstreamStatusClass {
  if (status < 400) return { kind: 'ok' };
  if (status === 401) return { kind: 'unauthorized' };
  if (status === 403) return { kind: 'forbidden' };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfterHeader, now);
    return retryAfterMs === undefined ? { kind: 'transient' } : { kind: 'transient', retryAfterMs };
  }
  return { kind: 'client_error' };
}
