import 'reflect-metadata';
import { exitOnStartFailure, loadConfigOrExit, openDataSource } from '@baton/platform';
import { entities } from '@baton/workflow';

/** `npm run migrate`: create the database when missing and run pending migrations, then exit. */
const config = loadConfigOrExit('migrate');
try {
  const dataSource = await openDataSource(config.databaseUrl, entities, true);
  await dataSource.destroy();
  process.stdout.write('baton migrate: schema is up to date\n');
} catch (error) {
  exitOnStartFailure('migrate', error);
}
