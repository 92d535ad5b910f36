import { InitialSchema1732300000000 } from './1732300000000-initial-schema.js';

/** Every migration, in order. Listed explicitly: globs break in bundles and under ESM. */
export const migrations = [InitialSchema1732300000000];
