import { isJsonMediaType } from './json-media-type.js';

const UTF8 = new TextDecoder('utf-8');

/**
 * An http node's output body (SPEC §3): parsed JSON when the content type is JSON and the text
 * parses, otherwise the utf-8 text; an empty body is null.
 */
export function decodeResponseBody(bytes: Uint8Array, contentType: string | null): unknown {
  if (bytes.byteLength === 0) return null;
  const text = UTF8.decode(bytes);
  if (isJsonMediaType(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
