import type { INestApplication } from '@nestjs/common';
import type { Request, RequestHandler } from 'express';
import { PROBLEM_CONTENT_TYPE, problem } from './problem-details.js';

const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The one path whose body is not JSON: Shared Signals push (SPEC §10.2); it reads and answers for its body itself. */
export const NON_JSON_BODY_PATH = '/v1/ssf/events';

/** Whether a media type is one the API parses as JSON (`application/json`, `application/*+json`). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(essence);
}

/** Whether a request carries a body (RFC 9110 §6.4.1: a Content-Length above 0 or Transfer-Encoding). */
function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? '0');
  return Number.isFinite(length) && length > 0;
}

/** Issue 10 item 12: a body that is not JSON (a form, text) on a JSON endpoint answers 415. */
const refuseNonJsonBodies: RequestHandler = (request, response, next) => {
  if (!BODY_METHODS.has(request.method) || !hasBody(request) || isJsonContentType(request.headers['content-type']))
    return next();
  // RFC 8935: Security Event Tokens arrive as application/secevent+jwt; their endpoint answers for itself.
  if (request.path === NON_JSON_BODY_PATH) return next();
  response
    .status(415)
    .setHeader('accept', 'application/json')
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem(415, 'Request bodies must be application/json')));
};

/** Mounts the 415 check and removes `X-Powered-By` (issue 10 items 12 and 13). */
export function useMethodAndMediaChecks(app: INestApplication): void {
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.use(refuseNonJsonBodies);
}

const ALL_ROUTE_METHODS = 20;

interface RouterLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The methods the API's router has for `request.path` (empty when the path is unknown), for the
 * 405 `Allow` header (issue 10 item 12). GET implies HEAD, as Express answers it.
 */
export function allowedMethodsFor(request: Request): string[] {
  const stack = (request.app as unknown as { router?: { stack?: RouterLayer[] } }).router?.stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route || !layer.match(request.path)) continue;
    // `all()` routes (middleware mounted on exact paths, the not-found handler) list every method: not an answer.
    if (layer.route.methods._all || Object.keys(layer.route.methods).length >= ALL_ROUTE_METHODS) continue;
    for (const [method, on] of Object.entries(layer.route.methods))
      if (on && method !== '_all') methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
