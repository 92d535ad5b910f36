import 'reflect-metadata';
import { exitOnStartFailure, loadConfigOrExit } from '@baton/platform';
import { Logger } from 'nestjs-pino';
import { createApiApp } from './bootstrap.js';

const config = loadConfigOrExit('api');
try {
  const app = await createApiApp(config);
  await app.listen(config.port);
  app.get(Logger).log(`baton api listening on port ${config.port}`);
} catch (error) {
  exitOnStartFailure('api', error);
}
