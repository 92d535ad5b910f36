import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { ESCALATION_ACTIONS, ESCALATION_REASONS, ESCALATION_STATUSES } from '@baton/workflow';
import type { SchemaObject } from '../workflows/workflow.openapi.js';

export const resolveBodySchema: SchemaObject = {
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: {
    action: { type: 'string', enum: [...ESCALATION_ACTIONS] },
    note: { type: 'string', maxLength: 2000 },
    subjectToken: { type: 'string', description: 'resume only: a fresh token of the same user (same iss and sub)' },
  },
};

export const ApiEscalationListQueries = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'status',
      required: false,
      schema: { type: 'string', enum: [...ESCALATION_STATUSES], default: 'open' },
    }),
    ApiQuery({ name: 'reason', required: false, schema: { type: 'string', enum: [...ESCALATION_REASONS] } }),
    ApiQuery({ name: 'runId', required: false, schema: { type: 'string', format: 'uuid' } }),
    ApiQuery({
      name: 'workflow',
      required: false,
      description: 'workflow name',
      schema: { type: 'string', minLength: 1, maxLength: 64 },
    }),
  );
