import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for runs: the `traceparent` a caller
 * sends with a run start is kept with the run, and every downstream call of that run carries a
 * child of it — the same trace id, a new parent id (the span of Baton's call), the same flags.
 *
 * Parsing follows §4.3 of the recommendation: version `ff` is invalid; an all-zero trace id or
 * parent id is invalid; a version other than 00 is read by its 00 prefix (fields after it are
 * ignored), and what Baton sends on is always version 00. An invalid header is dropped, never an
 * error: tracing must not stop a run from starting.
 */
export interface TraceParent {
  traceId: string;
  parentId: string;
  flags: string;
}

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const FUTURE_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;

export function parseTraceparent(header: string | string[] | undefined): TraceParent | null {
  // Several traceparent headers cannot be combined into one (§3.2.1): none is trusted.
  if (typeof header !== 'string' || header.length > 512) return null;
  const value = header.trim();
  const v00 = VERSION_00.exec(value);
  const match = v00 ? [value, '00', v00[1], v00[2], v00[3]] : FUTURE_VERSION.exec(value);
  if (!match) return null;
  const [, version, traceId, parentId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || (version === '00' && !v00)) return null;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return null;
  return { traceId, parentId, flags };
}

export function formatTraceparent(trace: TraceParent): string {
  return `00-${trace.traceId}-${trace.parentId}-${trace.flags}`;
}

/** A child of `trace` for one outgoing call: a fresh, non-zero parent id. */
export function childTraceparent(trace: TraceParent, newParentId: () => string = randomParentId): string {
  return formatTraceparent({ ...trace, parentId: newParentId() });
}

function randomParentId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (!ALL_ZERO.test(id)) return id;
  }
}
