import { effectivePort } from './allowed-host.js';
import { containsTemplate } from '../template/template-tokens.js';
import { splitUrlOrigin } from '../template/url-origin.js';

export type HttpUrlHost = { ok: true; hostname: string; port: number } | { ok: false; message: string };

/**
 * The host an http node's URL will call, read from the literal part before the path. The host must
 * be literal so the allow-list decision made when the workflow is stored holds for every run.
 * The hostname comes from the WHATWG URL parser — the one the HTTP client uses — so spellings such
 * as `0x7f.1` or `EXAMPLE.com` are compared in the form that will actually be called.
 */
export function parseHttpUrlHost(url: string): HttpUrlHost {
  const parts = splitUrlOrigin(url);
  if (!parts) return { ok: false, message: 'must be an absolute http or https URL' };
  if (parts.scheme !== 'http' && parts.scheme !== 'https') {
    return { ok: false, message: `must use http or https, not ${parts.scheme}` };
  }
  if (containsTemplate(parts.authority) || parts.authority.includes('}}')) {
    return { ok: false, message: 'host must be literal: templates may appear only in the path, query and fragment' };
  }
  if (parts.authority === '') return { ok: false, message: 'has no host' };
  if (parts.authority.includes('@')) return { ok: false, message: 'must not carry credentials before the host' };
  let parsed: URL;
  try {
    parsed = new URL(`${parts.origin}/`);
  } catch {
    return { ok: false, message: `has an invalid host "${parts.authority}"` };
  }
  return { ok: true, hostname: parsed.hostname, port: effectivePort(parsed) };
}
