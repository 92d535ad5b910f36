export {
  createBatonClient,
  type BatonClient,
  type BatonClientOptions,
  type BatonOperations,
  type BatonSchemas,
} from './baton-client.js';
export type { components, operations, paths } from './schema.js';
export { readEventStream, type BatonEvent } from './event-stream.js';
