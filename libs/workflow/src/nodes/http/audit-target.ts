/**
 * The part of a URL that may be written to the audit trail (SPEC §4, §6: "method + URL without
 * query"): scheme, host and path — no query string, no fragment, no credentials, since rendered
 * queries may hold user data.
 */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    // Not a URL the client could have called; still never leak what follows `?` or `#`.
    return url.split(/[?#]/, 1)[0]!.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  }
}

/** `POST http://127.0.0.1:5000/reports/7/submit` — the audit `target` of an http call. */
export function auditTarget(method: string, url: string): string {
  return `${method.toUpperCase()} ${describeTarget(url)}`;
}
