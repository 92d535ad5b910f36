import { classifyDownstreamStatus } from '../../../../oauth/src/index.js';
import { buildFetchRequest } from './build-fetch-request.js';
import { decodeResponseBody } from './decode-response-body.js';
import { DEFAULT_MAX_RESPONSE_BYTES, type HttpCallOutcome } from './http-call-outcome.js';
import type { HttpNodeRequest } from './http-node-request.js';
import type { Dispatcher } from 'undici';
import { destinationRefusalOf } from './guarded-lookup.js';
import { describeNetworkFailure } from './network-failure.js';
import { readCappedBody } from './read-capped-body.js';
import { responseHeaderRecord } from './response-headers.js';

export interface HttpCallOptions {
  /** The exchanged token, sent as `Authorization: Bearer …`; absent for nodes without `oauth`. */
  accessToken?: string;
  /** `<runId>:<nodeId>` (SPEC §4): the same on every attempt, so a repeated side effect is recognisable. */
  idempotencyKey: string;
  /** Covers the whole call: connecting, the answer's head and reading its body. */
  timeoutMs: number;
  /** Default 1 MiB (SPEC §3). */
  maxResponseBytes?: number;
  /** The caller's cancellation (run cancelled, worker stopping) → outcome `aborted`. */
  signal?: AbortSignal;
  /** Issue 10: the destination guard (`createGuardedAgent`) every connection goes through. */
  dispatcher?: Dispatcher;
}

/**
 * Performs an http node's call (SPEC §3, §4 step 4) and reports what came of it. Never throws for
 * network conditions: a timeout, a refused connection, an oversized body or a cancellation are
 * outcomes like a response is; no outcome's message holds the token.
 */
export async function callHttp(request: HttpNodeRequest, options: HttpCallOptions): Promise<HttpCallOutcome> {
  if (options.signal?.aborted) return { kind: 'aborted' };
  const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const built = buildFetchRequest(request, options);
  if (!built.ok) return { kind: 'invalid_request', message: built.message };

  const timeout = AbortSignal.timeout(options.timeoutMs);
  // Aborting the fetch after its answer arrived tears the connection down: how an oversized body stops.
  const cutoff = new AbortController();
  const signal = AbortSignal.any(options.signal ? [timeout, cutoff.signal, options.signal] : [timeout, cutoff.signal]);
  try {
    const response = await fetch(built.request, { signal, ...(options.dispatcher && { dispatcher: options.dispatcher }) } as RequestInit);
    if (response.body !== null && request.method !== 'HEAD' && declaredLength(response.headers) > limit) {
      cutoff.abort();
      return { kind: 'response_too_large', limit };
    }
    const body = await readCappedBody(response.body, limit);
    if (body.kind === 'too_large') {
      cutoff.abort();
      return { kind: 'response_too_large', limit };
    }
    return {
      kind: 'response',
      status: response.status,
      headers: responseHeaderRecord(response.headers),
      body: decodeResponseBody(body.bytes, response.headers.get('content-type')),
      classification: classifyDownstreamStatus(response.status, response.headers.get('retry-after')),
    };
  } catch (err) {
    if (options.signal?.aborted) return { kind: 'aborted' };
    if (timeout.aborted) return { kind: 'timeout' };
    const refused = destinationRefusalOf(err);
    if (refused) return { kind: 'destination_refused', code: refused.code, message: refused.message };
    return { kind: 'network_error', ...describeNetworkFailure(err, options.accessToken) };
  }
}

/**
 * The body size the server announced, when it is the size that will be read: fetch decompresses, so
 * an encoded body's `content-length` says nothing about the bytes the cap counts.
 */
function declaredLength(headers: Headers): number {
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return 0;
  const length = Number(headers.get('content-length') ?? '');
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}
