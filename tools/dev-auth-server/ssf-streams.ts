import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJsonBody, sendJson } from './http-json.js';

export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
export const POLL_DELIVERY = 'urn:ietf:rfc:8936';

/** One stream (SSF 1.0 §8.1.1), as the store keeps and answers it. */
export interface SsfStream {
  stream_id: string;
  iss: string;
  aud: string;
  delivery: { method: string; endpoint_url?: string };
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  description?: string;
}

/** A configuration endpoint request the store saw (tests assert on them). */
export interface StreamRequest {
  method: string;
  body: unknown;
  authorization: string | undefined;
}

export interface SsfStreamStoreOptions {
  issuer: string;
  /** The `aud` of the streams it creates (their SETs' audience). */
  audience: string;
  /** The bearer every request must carry; without one every request answers 401. */
  bearer?: string;
  /** What a poll stream's `endpoint_url` is; without one poll delivery is refused. */
  pollEndpoint?: string;
  eventsSupported: readonly string[];
}

/**
 * A small SSF 1.0 stream configuration endpoint in memory: GET (all streams, as an array, or
 * `?stream_id=`), POST (create), PATCH (update, `stream_id` in the body), each behind the bearer.
 * The dev authorization server and the tests' transmitter both serve it.
 */
export class SsfStreamStore {
  readonly streams = new Map<string, SsfStream>();
  readonly requests: StreamRequest[] = [];
  /** When set, every request answers this status (tests: a refusing transmitter). */
  refuseWith?: number;
  /** Each answer waits this long first (tests: a slow transmitter, to widen races). */
  delayMs = 0;

  constructor(private readonly options: SsfStreamStoreOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = req.method === 'POST' || req.method === 'PATCH' ? await readJsonBody(req) : undefined;
      this.requests.push({ method: req.method ?? '', body, authorization: req.headers.authorization });
      if (this.requests.length > 100) this.requests.shift();
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      if (this.refuseWith) throw new HttpError(this.refuseWith, 'access_denied', 'refused (configured)');
      if (!this.options.bearer || req.headers.authorization !== `Bearer ${this.options.bearer}`)
        throw new HttpError(401, 'invalid_token', 'a valid bearer token is required');
      switch (req.method) {
        case 'GET':
          return this.read(res, new URL(req.url ?? '/', 'http://x').searchParams.get('stream_id'));
        case 'POST':
          return sendJson(res, 201, this.save(randomUUID(), requested(body)));
        case 'PATCH': {
          const { stream_id: id } = requested(body);
          if (typeof id !== 'string') throw new HttpError(400, 'invalid_request', 'stream_id is required');
          if (!this.streams.has(id)) throw new HttpError(404, 'not_found', 'no such stream');
          return sendJson(res, 200, this.save(id, requested(body), this.streams.get(id)));
        }
        default:
          throw new HttpError(405, 'invalid_request', 'GET, POST or PATCH');
      }
    } catch (error) {
      if (error instanceof HttpError)
        return sendJson(res, error.status, { error: error.error, error_description: error.message });
      sendJson(res, 500, { error: 'server_error' });
    }
  }

  /** The push streams' receivers (where session events go besides the configured ones). */
  pushReceivers(): { url: string; audience: string; bearer?: string }[] {
    return [...this.streams.values()]
      .filter((s) => s.delivery.method === PUSH_DELIVERY && s.delivery.endpoint_url)
      .map((s) => ({
        url: s.delivery.endpoint_url!,
        audience: s.aud,
        ...(this.options.bearer && { bearer: this.options.bearer }),
      }));
  }

  private read(res: ServerResponse, id: string | null): void {
    if (id === null) return sendJson(res, 200, [...this.streams.values()]);
    const stream = this.streams.get(id);
    if (!stream) throw new HttpError(404, 'not_found', 'no such stream');
    sendJson(res, 200, stream);
  }

  private save(id: string, body: Record<string, unknown>, previous?: SsfStream): SsfStream {
    const delivery = (body.delivery ?? previous?.delivery) as { method?: unknown; endpoint_url?: unknown } | undefined;
    if (delivery?.method === PUSH_DELIVERY && typeof delivery.endpoint_url !== 'string')
      throw new HttpError(400, 'invalid_request', 'push delivery needs an endpoint_url');
    const poll = delivery?.method === POLL_DELIVERY && this.options.pollEndpoint;
    if (delivery?.method !== PUSH_DELIVERY && !poll)
      throw new HttpError(400, 'invalid_request', 'delivery.method is not supported');
    const events = Array.isArray(body.events_requested)
      ? body.events_requested.filter((e): e is string => typeof e === 'string')
      : (previous?.events_requested ?? []);
    const stream: SsfStream = {
      stream_id: id,
      iss: this.options.issuer,
      aud: this.options.audience,
      delivery:
        delivery.method === PUSH_DELIVERY
          ? { method: PUSH_DELIVERY, endpoint_url: delivery.endpoint_url as string }
          : { method: POLL_DELIVERY, endpoint_url: this.options.pollEndpoint! },
      events_supported: [...this.options.eventsSupported],
      events_requested: events,
      events_delivered: events.filter((e) => this.options.eventsSupported.includes(e)),
      ...(typeof body.description === 'string' && { description: body.description }),
    };
    this.streams.set(id, stream);
    return stream;
  }
}

function requested(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'invalid_request', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}
