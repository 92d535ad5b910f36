import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed input (problem+json, every problem with its JSON path)',
  401: 'Missing or invalid bearer token',
  403: 'Missing scope, or a token of another user',
  404: 'Unknown id, or a resource of another user',
  409: 'Conflicts with the current state',
  413: 'Body over the size limit',
  415: 'The body is not JSON (Content-Type must be application/json)',
  422: 'Well-formed but not valid (every problem with its JSON path)',
  503: 'A dependency (token issuer) cannot be reached',
};

const WWW_AUTHENTICATE = {
  'WWW-Authenticate': {
    description:
      'Bearer, with error="invalid_token" when a token was presented, or error="insufficient_scope", scope="…"',
    schema: { type: 'string' },
  },
};
const RETRY_AFTER = {
  'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
};

const HEADERS: Record<number, Record<string, { description: string; schema: Record<string, unknown> }>> = {
  401: WWW_AUTHENTICATE,
  403: WWW_AUTHENTICATE,
  503: RETRY_AFTER,
};

/** The `Problem` component (RFC 9457), registered by useOpenApi. */
export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'a URI reference naming the problem type (about:blank when generic)' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'JSON path of the offending value' },
          message: { type: 'string' },
        },
      },
    },
  },
  additionalProperties: true,
};

/** Documents RFC 9457 problem responses for the given statuses. */
export const ApiProblemResponses = (...statuses: number[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status],
        ...(HEADERS[status] && { headers: HEADERS[status] }),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      }),
    ),
  );
