import { type TemplateScope, renderToken, stringifyTemplateValue } from './render-template.js';
import { TemplateError } from './template-error.js';
import { containsTemplate, tokenizeTemplate } from './template-tokens.js';
import { splitUrlOrigin } from './url-origin.js';

type UrlSection = 'path' | 'query' | 'fragment';

/**
 * Renders an http node's URL. The scheme and host are never templated (the host allow-list must
 * hold for every run); a value substituted into the path, query or fragment is stringified and
 * encoded with encodeURIComponent, so `a/b` stays one path segment (`a%2Fb`) and `x&y=1` stays one
 * query value. A substituted value that would make a path segment `.` or `..` throws: the URL
 * parser would resolve it and the call would go to a different path than the one written.
 */
export function renderUrl(url: string, scope: TemplateScope): string {
  const parts = splitUrlOrigin(url);
  if (!parts) throw new TemplateError(`url "${url}" is not an absolute URL`);
  if (containsTemplate(parts.origin)) throw new TemplateError(`url "${url}": the scheme and host must be literal`);

  let section: UrlSection = 'path';
  const segments: PathSegment[] = [{ text: '', templated: false }];
  let afterPath = '';
  for (const token of tokenizeTemplate(parts.rest)) {
    if (token.kind !== 'text') {
      const rendered = renderToken(token, scope, encodeUrlValue);
      if (section === 'path') {
        const segment = segments.at(-1)!;
        segment.text += rendered;
        segment.templated = true;
      } else {
        afterPath += rendered;
      }
      continue;
    }
    for (const char of token.text) {
      if (section === 'path' && char === '?') section = 'query';
      if (section !== 'fragment' && char === '#') section = 'fragment';
      if (section !== 'path') afterPath += char;
      else if (char === '/' || char === '\\') segments.push({ text: char, templated: false });
      else segments.at(-1)!.text += char;
    }
  }

  const dotSegment = segments.find((segment) => segment.templated && isDotSegment(segment.text));
  if (dotSegment) {
    throw new TemplateError(
      `url "${url}": a template value may not make the path segment "${dotSegment.text.slice(1)}"`,
    );
  }
  return parts.origin + segments.map((segment) => segment.text).join('') + afterPath;
}

/** Text of one path segment including the `/` that opens it; `templated` when a value was substituted into it. */
interface PathSegment {
  text: string;
  templated: boolean;
}

function encodeUrlValue(value: unknown): string {
  try {
    return encodeURIComponent(stringifyTemplateValue(value));
  } catch (cause) {
    throw new TemplateError('a value substituted into a url is not valid Unicode', { cause }); // a lone surrogate
  }
}

/** `.` and `..`, including the percent-encoded spellings a WHATWG parser also resolves. */
function isDotSegment(segment: string): boolean {
  const bare = segment.slice(1).replace(/%2e/gi, '.');
  return bare === '.' || bare === '..';
}
