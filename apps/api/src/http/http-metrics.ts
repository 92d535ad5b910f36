import type { INestApplication } from '@nestjs/common';
import { Histogram, Registry } from '@baton/platform';
import type { NextFunction, Request, Response } from 'express';

/**
 * `http_request_duration_seconds{method, route, status}`: labelled by the route template
 * (`/v1/runs/:id`), never the raw path, so ids cannot explode the series count; requests no route
 * matched are `route="unmatched"`.
 */
export function useHttpMetrics(app: INestApplication): void {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'API request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [app.get(Registry)],
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const template = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof template === 'string' ? `${req.baseUrl}${template}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });
}
