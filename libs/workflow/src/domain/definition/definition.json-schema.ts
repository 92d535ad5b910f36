import { z } from 'zod';
import { workflowDefinitionSchema } from './definition.schema.js';

/**
 * The definition schema as an OpenAPI 3.0 schema object, derived from the zod schema that
 * validates definitions so the documentation cannot drift from the check. Checks zod cannot
 * express in JSON Schema (JSON-only values, URI checks) are left out; the 400 answer still lists them.
 */
export const workflowDefinitionJsonSchema: Record<string, unknown> = z.toJSONSchema(workflowDefinitionSchema, {
  target: 'openapi-3.0',
  io: 'input',
  unrepresentable: 'any',
});
