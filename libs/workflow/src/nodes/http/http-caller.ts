import { request } from 'undici';
import { classifyDownstreamStatus } from '../../../../oauth/src/index.js';
import { buildHttpRequest } from './build-http-request.js';
import { decodeResponseBody } from './decode-response-body.js';
import { downstreamAgent } from './downstream-agent.js';
import { DEFAULT_MAX_RESPONSE_BYTES, type HttpCallOutcome } from './http-call-outcome.js';
import type { HttpNodeRequest } from './http-node-request.js';
import type { Dispatcher } from 'undici';
import { destinationRefusalOf } from './guarded-lookup.js';
import { describeNetworkFailure } from './network-failure.js';
import { readCappedBody } from './read-capped-body.js';
import { headerValue, responseHeaderRecord } from './response-headers.js';

export interface HttpCallOptions {
  /** The exchanged token, sent as `Authorization: Bearer …`; absent for nodes without `oauth`. */
  accessToken?: string;
  /** `<runId>:<nodeId>` (SPEC §4): the same on every attempt, so a repeated side effect is recognisable. */
  idempotencyKey: string;
  /** W3C traceparent for this call (SPEC §16): a child of the run's. */
  traceparent?: string;
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
 *
 * undici's `request` on the process's keep-alive agent, not `fetch`: a small GET costs a fraction
 * of fetch's Request/Headers/web-stream machinery, and redirects are never followed.
 */
export async function callHttp(node: HttpNodeRequest, options: HttpCallOptions): Promise<HttpCallOutcome> {
  if (options.signal?.aborted) return { kind: 'aborted' };
  const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const built = buildHttpRequest(node, options);
  if (!built.ok) return { kind: 'invalid_request', message: built.message };

  // One controller for the node's timeout and the caller's cancellation; it covers the body too.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onCallerAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    const response = await request(built.url, {
      dispatcher: options.dispatcher ?? downstreamAgent,
      method: built.method,
      headers: built.headers,
      body: built.body,
      signal: controller.signal,
    });
    if (built.method !== 'HEAD' && declaredLength(response.headers) > limit) {
      response.body.destroy();
      return { kind: 'response_too_large', limit };
    }
    const body = await readCappedBody(response.body, limit);
    if (body.kind === 'too_large') return { kind: 'response_too_large', limit };
    return {
      kind: 'response',
      status: response.statusCode,
      headers: responseHeaderRecord(response.headers),
      body: decodeResponseBody(body.bytes, headerValue(response.headers, 'content-type')),
      classification: classifyDownstreamStatus(response.statusCode, headerValue(response.headers, 'retry-after')),
    };
  } catch (err) {
    if (options.signal?.aborted) return { kind: 'aborted' };
    if (timedOut) return { kind: 'timeout' };
    const refused = destinationRefusalOf(err);
    if (refused) return { kind: 'destination_refused', code: refused.code, message: refused.message };
    if (isInvalidArgument(err)) return { kind: 'invalid_request', message: 'request cannot be sent: invalid request' };
    return { kind: 'network_error', ...describeNetworkFailure(err, options.accessToken) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

/** The body size the server announced, when it is the size that will be read (no content coding). */
function declaredLength(headers: Record<string, string | string[] | undefined>): number {
  const encoding = headerValue(headers, 'content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return 0;
  const length = Number(headerValue(headers, 'content-length') ?? '');
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}

/** undici refuses a request it cannot send (a bad header, say) with UND_ERR_INVALID_ARG: not a network condition. */
function isInvalidArgument(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'UND_ERR_INVALID_ARG';
}
