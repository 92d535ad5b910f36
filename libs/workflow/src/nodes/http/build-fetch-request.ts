import type { HttpNodeRequest } from './http-node-request.js';
import { isJsonMediaType } from './json-media-type.js';

export interface FetchRequestCredentials {
  /** The exchanged token; overrides any `authorization` header the definition set. */
  accessToken?: string;
  idempotencyKey: string;
}

export type BuiltFetchRequest = { ok: true; request: Request } | { ok: false; message: string };

const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Turns a rendered http node request into a fetch `Request`, or says why it cannot be sent. Building
 * the `Request` up front validates the URL and header values, so what fails later is the network.
 *
 * - `query` is merged into the URL's own query; a name present in both takes the node's value.
 * - `Authorization: Bearer <accessToken>` when a token is given, `Idempotency-Key` always; both win
 *   over the definition's headers of the same name (case-insensitively).
 * - The body is sent as JSON (`content-type: application/json` unless the headers name another type);
 *   a string body under a non-JSON content type is sent as is. GET and HEAD carry no body.
 * - Redirects are not followed: a 3xx is the answer (following could carry the token to another host).
 */
export function buildFetchRequest(node: HttpNodeRequest, credentials: FetchRequestCredentials): BuiltFetchRequest {
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

  try {
    const headers = new Headers(node.headers);
    if (credentials.accessToken !== undefined) headers.set('authorization', `Bearer ${credentials.accessToken}`);
    headers.set('idempotency-key', credentials.idempotencyKey);
    const body = BODYLESS_METHODS.has(node.method) ? undefined : serializeBody(node.body, headers);
    return { ok: true, request: new Request(url, { method: node.method, headers, body, redirect: 'manual' }) };
  } catch (err) {
    // Header values are the likely culprit; their text (which may hold the token) is never echoed.
    return { ok: false, message: `request cannot be sent: ${err instanceof Error ? err.name : 'invalid request'}` };
  }
}

/** The wire form of a JSON body; sets `content-type` when the definition did not. */
function serializeBody(body: unknown, headers: Headers): string | undefined {
  if (body === undefined) return undefined;
  const contentType = headers.get('content-type');
  if (contentType === null) {
    headers.set('content-type', 'application/json');
  } else if (typeof body === 'string' && !isJsonMediaType(contentType)) {
    return body;
  }
  return JSON.stringify(body);
}
