/**
 * One `http.allowedHosts` entry (SPEC §16): `host`, `host:port`, `*.example.com` or
 * `*.example.com:8443`; IPv6 addresses bare (`::1`) or bracketed (`[::1]:8080`).
 */
export interface AllowedHostEntry {
  /** Lower-cased, without brackets or a trailing dot; for a wildcard, the suffix without `*.`. */
  readonly host: string;
  /** `null`: any port. */
  readonly port: number | null;
  readonly wildcard: boolean;
}

/** Parses one entry; `null` when it is not one of the forms above. */
export function parseAllowedHost(text: string): AllowedHostEntry | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '') return null;
  let host = trimmed;
  let port: number | null = null;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] === undefined ? null : Number(bracketed[2]);
  } else if ((trimmed.match(/:/g) ?? []).length === 1) {
    const [name, portText] = trimmed.split(':') as [string, string];
    if (!/^\d{1,5}$/.test(portText)) return null;
    host = name;
    port = Number(portText);
  }
  if (port !== null && (port < 1 || port > 65535)) return null;
  if (host.endsWith('.')) host = host.slice(0, -1);
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (host === '' || host.includes('*') || /[\s/@?#[\]]/.test(host)) return null;
  return { host, port, wildcard };
}

/** The entries that parse, in order (the config schema refuses the others at boot). */
export function parseAllowedHosts(patterns: readonly string[]): AllowedHostEntry[] {
  return patterns.map(parseAllowedHost).filter((entry): entry is AllowedHostEntry => entry !== null);
}

/**
 * Whether an http node may call `hostname` on `port` (SPEC §16 `http.allowedHosts`).
 * Case-insensitive; a trailing dot (the DNS root) and IPv6 brackets are ignored. `*.example.com`
 * matches any subdomain at any depth but not `example.com` itself; any other host must match
 * exactly. An entry without a port allows every port; `port` omitted matches only such entries.
 */
export function matchesAllowedHost(hostname: string, patterns: readonly string[], port?: number): boolean {
  return findAllowedHost(hostname, parseAllowedHosts(patterns), port) !== null;
}

/** The first entry that allows `hostname`:`port`, or `null`. */
export function findAllowedHost(
  hostname: string,
  entries: readonly AllowedHostEntry[],
  port?: number,
): AllowedHostEntry | null {
  const host = normalizeHost(hostname);
  if (host === '') return null;
  return (
    entries.find((entry) => {
      if (entry.port !== null && entry.port !== port) return false;
      if (entry.wildcard) return host.length > entry.host.length + 1 && host.endsWith(`.${entry.host}`);
      return host === entry.host;
    }) ?? null
  );
}

/** Whether `hostname`:`port` is named by an entry without a wildcard (private addresses need one). */
export function isListedLiterally(hostname: string, entries: readonly AllowedHostEntry[], port?: number): boolean {
  return (
    findAllowedHost(
      hostname,
      entries.filter((entry) => !entry.wildcard),
      port,
    ) !== null
  );
}

export function normalizeHost(host: string): string {
  const lower = host.trim().toLowerCase();
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

/** The port a URL will connect to: its own, else the scheme's default. */
export function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}
