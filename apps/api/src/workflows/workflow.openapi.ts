import type { ApiBodyOptions } from '@nestjs/swagger';
import { workflowDefinitionJsonSchema } from '@baton/workflow';

/** The OpenAPI schema object type (not exported from @nestjs/swagger's root). */
export type SchemaObject = Extract<ApiBodyOptions, { schema: unknown }>['schema'];

/** OpenAPI schemas derived from the same zod schema that validates definitions. */
export const storedWorkflowSchema: SchemaObject = {
  allOf: [
    workflowDefinitionJsonSchema as SchemaObject,
    {
      type: 'object',
      required: ['version', 'createdAt'],
      properties: { version: { type: 'integer', minimum: 1 }, createdAt: { type: 'string', format: 'date-time' } },
    },
  ],
};

export function pageOf(item: SchemaObject): SchemaObject {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: { items: { type: 'array', items: item }, nextCursor: { type: 'string', nullable: true } },
  };
}
