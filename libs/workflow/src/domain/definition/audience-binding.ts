import { normalizeHost } from './allowed-host.js';

/** `http.audienceOrigins` (SPEC §16): audience → origins that may receive its tokens; `*` for the rest. */
export type AudienceOrigins = Readonly<Record<string, readonly string[]>>;

/**
 * Whether a token of `audience` may be sent to `url` (SPEC §16 "Audience binding"). An origin
 * entry is `scheme://host[:port]`; a bare `scheme://host` matches any port; the host may be a
 * `*.example.com` glob. Without `audienceOrigins`, an audience that is an absolute http(s) URL is
 * bound to its own origin, and any other audience to nothing.
 */
export function isAudienceBoundTo(
  audience: string,
  url: string,
  audienceOrigins: AudienceOrigins | undefined,
): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  const origins = audienceOrigins ? (audienceOrigins[audience] ?? audienceOrigins['*'] ?? []) : ownOrigin(audience);
  return origins.some((origin) => originMatches(origin, target));
}

function ownOrigin(audience: string): string[] {
  try {
    const parsed = new URL(audience);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? [`${parsed.protocol}//${parsed.host}`] : [];
  } catch {
    return [];
  }
}

function originMatches(origin: string, target: URL): boolean {
  const match = /^(https?):\/\/(\*\.)?(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?\/?$/i.exec(origin.trim());
  if (!match) return false;
  const [, scheme, glob, hostText, portText] = match;
  if (`${scheme!.toLowerCase()}:` !== target.protocol) return false;
  const wanted = normalizeHost(hostText!);
  const host = normalizeHost(target.hostname);
  const hostOk = glob ? host.length > wanted.length + 1 && host.endsWith(`.${wanted}`) : host === wanted;
  if (!hostOk) return false;
  if (portText === undefined) return true;
  const port = target.port === '' ? (target.protocol === 'https:' ? 443 : 80) : Number(target.port);
  return Number(portText) === port;
}
