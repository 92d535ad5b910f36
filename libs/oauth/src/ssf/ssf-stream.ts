/**
 * OpenID Shared Signals Framework 1.0 stream management (§8.1.1), the pure part: the body Baton
 * sends to a transmitter's `configuration_endpoint` and which of the streams it answers is Baton's.
 */

/** SSF 1.0 delivery method URNs. */
export const SsfDeliveryMethod = {
  /** RFC 8935: the transmitter pushes to the receiver's `endpoint_url`. */
  Push: 'urn:ietf:rfc:8935',
  /** RFC 8936: the receiver polls; the transmitter chooses and answers the `endpoint_url`. */
  Poll: 'urn:ietf:rfc:8936',
} as const;

/** Names Baton's stream to people reading the transmitter's console, and to `ourStream`. */
export const BATON_STREAM_DESCRIPTION = 'Baton: revocation-aware workflow runs';

/** The stream Baton wants at one transmitter. */
export interface WantedStream {
  delivery: 'push' | 'poll';
  /** push: Baton's RFC 8935 receiver URL (`sharedSignals.endpointUrl`). */
  endpointUrl?: string;
  /** poll: the configured `pollEndpoint`, to tell Baton's poll stream among several. */
  pollEndpoint?: string;
  eventsRequested: readonly string[];
}

/** A stream configuration as a transmitter answers it (only the members Baton reads). */
export interface StreamConfiguration {
  stream_id: string;
  delivery?: { method?: unknown; endpoint_url?: unknown };
  description?: unknown;
  events_delivered?: unknown;
  [member: string]: unknown;
}

/** The body of the POST that creates the stream, or (with `streamId`) of the PATCH that updates it. */
export function streamRequestBody(wanted: WantedStream, streamId?: string): Record<string, unknown> {
  const delivery =
    wanted.delivery === 'push'
      ? { method: SsfDeliveryMethod.Push, endpoint_url: wanted.endpointUrl }
      : { method: SsfDeliveryMethod.Poll };
  return {
    ...(streamId !== undefined && { stream_id: streamId }),
    delivery,
    events_requested: [...wanted.eventsRequested],
    description: BATON_STREAM_DESCRIPTION,
  };
}

/** The streams of a GET answer: one object or an array of them; anything without a string `stream_id` is left out. */
export function streamsOf(answer: unknown): StreamConfiguration[] {
  const items = Array.isArray(answer) ? answer : answer === undefined || answer === null ? [] : [answer];
  return items.filter(
    (s): s is StreamConfiguration =>
      typeof s === 'object' && s !== null && typeof (s as { stream_id?: unknown }).stream_id === 'string',
  );
}

/**
 * Which stream is Baton's: the one delivering the way Baton wants (push: to its endpoint URL; poll:
 * by poll, at `pollEndpoint` when both say), else the one described as Baton's, else the only
 * stream the bearer can see (Baton's bearer sees Baton's streams; updating it beats a second one,
 * which many transmitters refuse). Undefined: none, create one.
 */
export function ourStream(
  streams: readonly StreamConfiguration[],
  wanted: WantedStream,
): StreamConfiguration | undefined {
  const method = wanted.delivery === 'push' ? SsfDeliveryMethod.Push : SsfDeliveryMethod.Poll;
  const delivering = streams.find((s) => {
    if (s.delivery?.method !== method) return false;
    const at = s.delivery.endpoint_url;
    if (wanted.delivery === 'push') return at === wanted.endpointUrl;
    return wanted.pollEndpoint === undefined || at === undefined || at === wanted.pollEndpoint;
  });
  return (
    delivering ??
    streams.find((s) => s.description === BATON_STREAM_DESCRIPTION) ??
    (streams.length === 1 ? streams[0] : undefined)
  );
}
