/**
 * Whether an http node may call `hostname` (SPEC §3 `http.allowedHosts`). Hostnames only — ports
 * are not part of either side. Case-insensitive; a trailing dot (the DNS root) and IPv6 brackets
 * are ignored. `*.example.com` matches any subdomain at any depth but not `example.com` itself;
 * any other pattern must match exactly.
 */
export function matchesAllowedHost(hostname: string, patterns: readonly string[]): boolean {
  const host = normalize(hostname);
  if (host === '') return false;
  return patterns.some((pattern) => {
    const wanted = normalize(pattern);
    if (wanted.startsWith('*.')) {
      const suffix = wanted.slice(1); // ".example.com"
      return host.endsWith(suffix) && host.length > suffix.length;
    }
    return wanted !== '' && host === wanted;
  });
}

function normalize(host: string): string {
  const lower = host.trim().toLowerCase();
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}
