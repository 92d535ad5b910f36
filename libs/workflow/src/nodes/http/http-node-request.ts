import type { HttpMethod } from '../../domain/definition/definition.schema.js';

/**
 * An `http` node's request after template rendering (SPEC §3): an absolute URL, string headers and
 * query values, and a JSON body value.
 */
export interface HttpNodeRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}
