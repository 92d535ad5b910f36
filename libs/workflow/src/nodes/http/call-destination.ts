import { effectivePort, type AllowedHostEntry } from '../../domain/definition/allowed-host.js';
import { type AudienceOrigins, isAudienceBoundTo } from '../../domain/definition/audience-binding.js';
import { decideDestination } from './destination-policy.js';

export interface CallDestinationRefusal {
  code: 'destination_not_allowed' | 'private_address' | 'audience_not_bound';
  message: string;
}

/**
 * The call-time half of issue 10 items 2–4, decided on the rendered URL before any token is
 * obtained: the host and port must still be in `http.allowedHosts` (a host removed from the list
 * stops stored workflows), an IP literal must not be private unless listed, and the origin must
 * be bound to the audience of the token the node would send. Names are decided again on the
 * address they resolve to, by the guarded dispatcher.
 */
export function refuseCallDestination(
  url: string,
  audience: string | undefined,
  policy: { entries: readonly AllowedHostEntry[]; audienceOrigins?: AudienceOrigins },
): CallDestinationRefusal | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null; // the caller reports an unparseable URL as invalid_request
  }
  const decision = decideDestination({ hostname: parsed.hostname, port: effectivePort(parsed) }, policy.entries);
  if (!decision.allowed) return { code: decision.code, message: decision.reason };
  if (audience !== undefined && !isAudienceBoundTo(audience, url, policy.audienceOrigins)) {
    return {
      code: 'audience_not_bound',
      message: `origin ${parsed.origin} is not bound to audience "${audience}" in http.audienceOrigins`,
    };
  }
  return null;
}
