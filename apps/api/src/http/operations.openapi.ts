import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The health and metrics operations, documented here rather than by decorators on their
 * controllers: those live in libs/platform, which the worker loads too, and @nestjs/swagger costs
 * every process that imports it ~6 MiB of RSS (measured) for a document only the api serves.
 */
const checks = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string' } },
    additionalProperties: true,
  },
};
const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: checks,
    error: checks,
    details: checks,
  },
};
const unhealthySchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    checks,
  },
};

const healthOperation = (operationId: string, summary: string) => ({
  get: {
    operationId,
    summary,
    parameters: [],
    tags: ['operations'],
    responses: {
      '200': { description: 'Healthy', content: { 'application/json': { schema: healthSchema } } },
      '503': {
        description: 'A check failed, or the process is shutting down (problem+json with each check)',
        content: { 'application/problem+json': { schema: unhealthySchema } },
      },
    },
  },
});

export const OPERATIONS_PATHS: OpenAPIObject['paths'] = {
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      parameters: [],
      tags: ['operations'],
      responses: {
        '200': {
          description: 'Prometheus text exposition format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  },
  '/health/live': healthOperation('getLiveness', 'Liveness: the process answers'),
  '/health/ready': healthOperation('getReadiness', 'Readiness: Postgres and Redis answer (503 otherwise)'),
};
