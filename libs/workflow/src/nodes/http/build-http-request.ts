import type { HttpNodeRequest } from './http-node-request.js';
import { isJsonMediaType } from './json-media-type.js';

export interface HttpRequestCredentials {
  /** The exchanged token; overrides any `authorization` header the definition set. */
  accessToken?: string;
  idempotencyKey: string;
  /** W3C traceparent of this call (a child of the run's); wins over a definition's header of that name. */
  traceparent?: string;
}

/** A request ready for the wire: lower-case header names, a serialized body. */
export interface WireRequest {
  url: URL;
  method: HttpNodeRequest['method'];
  headers: Record<string, string>;
  body?: string;
}

export type BuiltHttpRequest = ({ ok: true } & WireRequest) | { ok: false; message: string };

const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** RFC 9110 field-name token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** No CR, LF or NUL in a field value (header injection). */
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

/**
 * Turns a rendered http node request into what goes on the wire, or says why it cannot be sent:
 * the URL and header values are validated here, so what fails later is the network.
 *
 * - `query` is merged into the URL's own query; a name present in both takes the node's value.
 * - `Authorization: Bearer <accessToken>` when a token is given, `Idempotency-Key` always; both win
 *   over the definition's headers of the same name (case-insensitively).
 * - The body is sent as JSON (`content-type: application/json` unless the headers name another type);
 *   a string body under a non-JSON content type is sent as is. GET and HEAD carry no body.
 * - Redirects are never followed by the caller: a 3xx is the answer (following could carry the
 *   token to another host).
 */
export function buildHttpRequest(node: HttpNodeRequest, credentials: HttpRequestCredentials): BuiltHttpRequest {
  let url: URL;
  try {
    url = new URL(node.url);
  } catch {
    return { ok: false, message: 'url is not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `url must use http or https, not ${url.protocol.slice(0, -1)}` };
  }
  if (url.username || url.password) return { ok: false, message: 'url must not carry credentials' };
  for (const [name, value] of Object.entries(node.query ?? {})) url.searchParams.set(name, value);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(node.headers ?? {})) {
    // Header values are the likely culprit; their text (which may hold the token) is never echoed.
    if (!FIELD_NAME.test(name) || FORBIDDEN_IN_VALUE.test(value))
      return { ok: false, message: 'request cannot be sent: a header name or value is invalid' };
    headers[name.toLowerCase()] = value.trim();
  }
  if (credentials.accessToken !== undefined) {
    if (FORBIDDEN_IN_VALUE.test(credentials.accessToken))
      return { ok: false, message: 'request cannot be sent: the access token is not a valid header value' };
    headers.authorization = `Bearer ${credentials.accessToken}`;
  }
  headers['idempotency-key'] = credentials.idempotencyKey;
  if (credentials.traceparent !== undefined) headers.traceparent = credentials.traceparent;
  const body = BODYLESS_METHODS.has(node.method) ? undefined : serializeBody(node.body, headers);
  return { ok: true, url, method: node.method, headers, ...(body !== undefined && { body }) };
}

/** The wire form of a JSON body; sets `content-type` when the definition did not. */
function serializeBody(body: unknown, headers: Record<string, string>): string | undefined {
  if (body === undefined) return undefined;
  const contentType = headers['content-type'];
  if (contentType === undefined) {
    headers['content-type'] = 'application/json';
  } else if (typeof body === 'string' && !isJsonMediaType(contentType)) {
    return body;
  }
  return JSON.stringify(body);
}
