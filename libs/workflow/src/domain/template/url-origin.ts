/**
 * `scheme://authority` up to the first `/`, `?`, `#` or `\` — the characters at which a WHATWG URL
 * parser ends the host of an http(s) URL — and the rest. Splitting at the same place the HTTP
 * client's parser will keeps what the validator checks identical to what the client calls.
 */
const ORIGIN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#\\]*)/;

export interface UrlParts {
  readonly scheme: string;
  readonly authority: string;
  /** `scheme://authority` as written. */
  readonly origin: string;
  /** Path, query and fragment as written; may hold templates. */
  readonly rest: string;
}

export function splitUrlOrigin(url: string): UrlParts | null {
  const match = ORIGIN.exec(url);
  if (!match) return null;
  return { scheme: match[1]!.toLowerCase(), authority: match[2]!, origin: match[0], rest: url.slice(match[0].length) };
}
