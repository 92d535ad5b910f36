import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

/** The API's named shapes (Run, RunDetail, Escalation, AuditEntry, Problem, pages…), as generated. */
export type BatonSchemas = components['schemas'];
export type BatonOperations = operations;
export type BatonClient = Client<paths>;

export interface BatonClientOptions {
  /** The API origin, e.g. http://localhost:3000 */
  baseUrl: string;
  /** The bearer token, or a function returning the current one (refreshed tokens). */
  token?: string | (() => string | Promise<string>);
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

/** A typed client for the Baton API, generated from its OpenAPI document (SPEC §15). */
export function createBatonClient(options: BatonClientOptions): BatonClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: options.fetch,
    headers: options.headers,
  });
  const { token } = options;
  if (token !== undefined) {
    const bearer: Middleware = {
      async onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${typeof token === 'function' ? await token() : token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}
