import type { SchemaObject } from '../workflows/workflow.openapi.js';

const nullable = (schema: SchemaObject): SchemaObject => ({ ...schema, nullable: true }) as SchemaObject;
const error = nullable({ type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } });

export const runSchema: SchemaObject = {
  type: 'object',
  required: ['id', 'status', 'workflow', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['pending', 'running', 'waiting_for_human', 'succeeded', 'failed', 'cancelled'] },
    workflow: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'integer' } } },
    agentId: nullable({ type: 'string' }),
    userId: { type: 'string', description: "the user's sub" },
    input: { type: 'object', additionalProperties: true },
    error,
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: nullable({ type: 'string', format: 'date-time' }),
    finishedAt: nullable({ type: 'string', format: 'date-time' }),
  },
};

export const runDetailSchema: SchemaObject = {
  allOf: [
    runSchema,
    {
      type: 'object',
      properties: {
        nodes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              type: { type: 'string' },
              status: { type: 'string', enum: ['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'waiting_for_human'] },
              attempts: { type: 'integer' },
              grantedScopes: nullable({ type: 'array', items: { type: 'string' } }),
              startedAt: nullable({ type: 'string', format: 'date-time' }),
              finishedAt: nullable({ type: 'string', format: 'date-time' }),
              output: { description: 'http nodes: {status, headers, body}' },
              error,
            },
          },
        },
      },
    },
  ],
};

export const auditEntrySchema: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    operation: { type: 'string' },
    runId: nullable({ type: 'string', format: 'uuid' }),
    nodeId: nullable({ type: 'string' }),
    workflow: nullable({ type: 'string' }),
    agentId: nullable({ type: 'string' }),
    userId: nullable({ type: 'string' }),
    issuer: nullable({ type: 'string' }),
    scopes: nullable({ type: 'array', items: { type: 'string' } }),
    target: nullable({ type: 'string' }),
    success: { type: 'boolean' },
    error: nullable({ type: 'string' }),
    details: nullable({ type: 'object', additionalProperties: true }),
  },
};

export const startRunBodySchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    input: { type: 'object', additionalProperties: true, description: 'checked against the workflow inputSchema' },
    version: { type: 'integer', minimum: 1, description: 'defaults to the latest version' },
  },
};
