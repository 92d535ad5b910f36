import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { RUN_STATUSES } from '@baton/workflow';
import type { SchemaObject } from '../workflows/workflow.openapi.js';

export const startRunBodySchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input: { type: 'object', additionalProperties: true, description: 'checked against the workflow inputSchema' },
    version: { type: 'integer', minimum: 1, description: 'defaults to the latest version' },
  },
};

export const LOCATION_HEADER = { Location: { description: 'the path of the run', schema: { type: 'string' } } };

export const ApiRunListQueries = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'status', required: false, schema: { type: 'string', enum: [...RUN_STATUSES] } }),
    ApiQuery({
      name: 'workflow',
      required: false,
      description: 'workflow name',
      schema: { type: 'string', minLength: 1, maxLength: 64 },
    }),
    ApiQuery({
      name: 'rootOnly',
      required: false,
      description: 'true: leave child runs (SPEC §11) out',
      schema: { type: 'string', enum: ['true', 'false'] },
    }),
  );
