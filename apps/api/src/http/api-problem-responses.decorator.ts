import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed input (problem+json, every problem with its JSON path)',
  401: 'Missing or invalid bearer token (WWW-Authenticate: Bearer)',
  403: 'Missing scope (WWW-Authenticate: Bearer error="insufficient_scope")',
  404: 'Unknown id, or a resource of another user',
  409: 'Conflicts with the current state',
  413: 'Body over 1 MiB',
  422: 'Well-formed but not valid (every problem with its JSON path)',
  503: 'A dependency (token issuer) cannot be reached',
};

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** Documents RFC 9457 problem responses for the given statuses. */
export const ApiProblemResponses = (...statuses: number[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], content: { 'application/problem+json': { schema: problemSchema } } }),
    ),
  );
