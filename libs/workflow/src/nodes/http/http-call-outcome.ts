import type { DownstreamStatusClass } from '../../../../oauth/src/index.js';

/** Output cap of an http node (SPEC §3: body capped at 1 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

/** The downstream answered; `classification` says what the status means for the node (SPEC §4 step 4). */
export interface HttpResponseOutcome {
  kind: 'response';
  status: number;
  /** Lower-case names; `set-cookie` dropped. */
  headers: Record<string, string>;
  /** Parsed JSON when the answer is JSON and parses, else utf-8 text; null when empty. */
  body: unknown;
  classification: DownstreamStatusClass;
}

/**
 * Everything one downstream call can come to. Network conditions are outcomes, never exceptions, and
 * no message carries the access token.
 */
export type HttpCallOutcome =
  | HttpResponseOutcome
  /** The node's `timeoutMs` elapsed before the whole answer was read. */
  | { kind: 'timeout' }
  /** Refused, reset, DNS failure…; `code` from the socket error (`ECONNREFUSED`, `UND_ERR_SOCKET`…). */
  | { kind: 'network_error'; code?: string; message: string }
  /** The body passed `limit` bytes; the connection was aborted. */
  | { kind: 'response_too_large'; limit: number }
  /** The caller's own signal aborted (the run was cancelled, the worker is stopping). */
  | { kind: 'aborted' }
  /**
   * The rendered request cannot be sent (not an http(s) URL, a header value with a line break…).
   * Sending it again would fail the same way, so it is not a network error.
   */
  | { kind: 'invalid_request'; message: string }
  /** The destination guard refused the address the host resolved to (issue 10 item 3); not retried. */
  | { kind: 'destination_refused'; code: 'destination_not_allowed' | 'private_address'; message: string };

export type HttpCallOutcomeKind = HttpCallOutcome['kind'];
