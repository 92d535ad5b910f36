// `npm run test:unit`: the pure-logic specs beside the code. No global setup, so no Postgres or Redis needed.
import base from './jest.config.mjs';

const { globalSetup: _setup, globalTeardown: _teardown, ...rest } = base;

export default {
  ...rest,
  testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
};
