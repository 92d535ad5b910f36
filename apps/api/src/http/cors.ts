import type { INestApplication } from '@nestjs/common';
import type { BatonConfig } from '@baton/platform';

/** Headers a browser on an allowed origin may read (SPEC §16). */
export const EXPOSED_HEADERS = ['Location', 'WWW-Authenticate', 'Retry-After', 'X-Request-Id'];
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'X-Request-Id',
  'Last-Event-ID',
  'traceparent',
  'tracestate',
];

/**
 * CORS for `api.cors.origins` (default none: no CORS headers at all). Preflights from a listed
 * origin are answered 204; other origins get no CORS headers, so browsers refuse them.
 */
export function useCors(app: INestApplication, config: Pick<BatonConfig, 'api'>): void {
  const origins = config.api.cors.origins;
  if (origins.length === 0) return;
  app.enableCors({
    origin: origins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
