import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { BatonConfig } from '@baton/platform';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module.js';

/** Builds the worker application (shared by main.ts and the tests). */
export async function createWorkerApp(config: BatonConfig): Promise<INestApplication> {
  const app = await NestFactory.create(WorkerModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.enableShutdownHooks();
  return app;
}
