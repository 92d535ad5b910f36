/** Seconds a client should wait before retrying when Postgres or Redis is unreachable. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** Socket-level codes that mean "the server is not there (now)". */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is unavailable rather than of a bad statement: class 08 (connection
 * exception), 57P01–57P03 (shutting down, crashed, starting up: "the database system is shutting
 * down"), 53300 (too many connections).
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** What node-postgres, TypeORM and ioredis say when the connection went away. */
const CONNECTION_MESSAGES: readonly RegExp[] = [
  /Query runner already released/i,
  /connection provided by a query runner was already released/i,
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Cannot use a pool after calling end/i,
  /the database system is (shutting down|starting up|in recovery mode)/i,
  /Connection is closed/i,
  /Reached the max retries per request limit/i,
  /getaddrinfo|connect ECONNREFUSED/i,
];

/**
 * Whether an error means a dependency (Postgres, Redis) is unreachable — issue 10 item 14: such
 * errors answer 503 with `Retry-After`, never 500. Walks `cause`, TypeORM's `driverError` and an
 * `AggregateError`'s `errors` (a refused connection to every address of a name).
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 6 || error === null || typeof error !== 'object') return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; driverError?: unknown; errors?: unknown };
  if ((error as { name?: unknown }).name === 'QueryRunnerProviderAlreadyReleasedError') return true;
  if (
    typeof e.code === 'string' &&
    (CONNECTION_CODES.has(e.code) || (/^[0-9A-Z]{5}$/.test(e.code) && isUnavailableSqlState(e.code)))
  )
    return true;
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(e.message as string)))
    return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDependencyUnavailable(inner, depth + 1))) return true;
  return isDependencyUnavailable(e.driverError, depth + 1) || isDependencyUnavailable(e.cause, depth + 1);
}

/** Seconds to wait after a transient conflict: the competing transaction is over by then. */
export const CONFLICT_RETRY_AFTER_SECONDS = 1;

/**
 * A transaction Postgres aborted because of a concurrent one — `40P01` deadlock_detected (a
 * human's resolve meeting a child run's end in the same run tree, say) or `40001`
 * serialization_failure: the request itself was fine and may simply be sent again.
 */
export function isTransientConflict(error: unknown, depth = 0): boolean {
  if (depth > 6 || error === null || typeof error !== 'object') return false;
  const e = error as { code?: unknown; cause?: unknown; driverError?: unknown };
  if (e.code === '40P01' || e.code === '40001') return true;
  return isTransientConflict(e.driverError, depth + 1) || isTransientConflict(e.cause, depth + 1);
}
