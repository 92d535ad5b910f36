import 'reflect-metadata';
import { exitOnStartFailure, loadConfigOrExit } from '@baton/platform';
import { Logger } from 'nestjs-pino';
import { createWorkerApp } from './bootstrap.js';

const config = loadConfigOrExit('worker');
try {
  const app = await createWorkerApp(config);
  await app.listen(config.workerPort);
  app.get(Logger).log(`baton worker serving health and metrics on port ${config.workerPort}`);
} catch (error) {
  exitOnStartFailure('worker', error);
}
