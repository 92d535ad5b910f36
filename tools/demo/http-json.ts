/** A request the demo made got an answer it did not expect; the message names the call and the problem. */
export class UnexpectedResponse extends Error {
  constructor(
    readonly call: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${call} answered ${status}${problemText(body)}`);
  }
}

export interface JsonRequest {
  method?: 'GET' | 'POST';
  token?: string;
  body?: unknown;
  /** Statuses that count as success. Default: 200. */
  expect?: number[];
}

const REQUEST_TIMEOUT_MS = 10_000;

/** JSON in, JSON out, with a timeout; any other status than `expect` throws UnexpectedResponse. */
export async function requestJson<T>(baseUrl: string, path: string, request: JsonRequest = {}): Promise<T> {
  const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const call = `${method} ${path.split('?')[0]}`;
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(
      `${call} to ${baseUrl} failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
      { cause: err },
    );
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!(request.expect ?? [200]).includes(response.status)) throw new UnexpectedResponse(call, response.status, body);
  return body as T;
}

/** ": <title/detail>" of an RFC 9457 problem or an OAuth error body; never the request. */
function problemText(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as Record<string, unknown>;
  const parts = [b.title ?? b.error, b.detail ?? b.error_description].filter((p) => typeof p === 'string');
  const errors = Array.isArray(b.errors) ? ` ${JSON.stringify(b.errors)}` : '';
  return parts.length > 0 ? `: ${parts.join(' — ')}${errors}` : '';
}
