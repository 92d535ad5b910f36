import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { REQUEST_LOG, type BatonConfig, type RequestLogMiddleware } from '@baton/platform';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module.js';
import { useJsonBodies } from './http/body-parsing.js';
import { useMethodAndMediaChecks } from './http/method-and-media.js';
import { useCors } from './http/cors.js';
import { useConsole } from './console/console-static.js';
import { useHttpMetrics } from './http/http-metrics.js';
import { useOpenApi } from './http/openapi.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';

/** Builds the API application (shared by main.ts and the tests, so they exercise the same stack). */
export async function createApiApp(config: BatonConfig): Promise<INestApplication> {
  const app = await NestFactory.create(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  // First, so that every answer — a 405 or 415 of the checks below included — has its request line.
  app.use(app.get<symbol, RequestLogMiddleware>(REQUEST_LOG));
  useMethodAndMediaChecks(app);
  useHttpMetrics(app);
  useCors(app, config);
  useConsole(app, config);
  useJsonBodies(app);
  app.useGlobalFilters(new ProblemDetailsFilter());
  useOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
