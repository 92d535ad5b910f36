import type { SchemaObject } from '../workflows/workflow.openapi.js';

const nullableString = (format?: string): SchemaObject => ({ type: 'string', nullable: true, ...(format && { format }) }) as SchemaObject;

export const escalationSchema: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    runId: { type: 'string', format: 'uuid' },
    nodeId: { type: 'string' },
    workflow: { type: 'string' },
    reason: { type: 'string', enum: ['token_expired', 'token_revoked', 'insufficient_scope', 'consent_required', 'approval_required'] },
    status: { type: 'string', enum: ['open', 'resolved', 'expired'] },
    detail: nullableString(),
    prompt: nullableString(),
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    resolvedAt: nullableString('date-time'),
    resolvedBy: nullableString(),
    resolvedByIssuer: nullableString(),
    action: { type: 'string', nullable: true, enum: ['resume', 'retry', 'approve', 'reject', 'abort'] } as SchemaObject,
    note: nullableString(),
  },
};

export const resolveBodySchema: SchemaObject = {
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: {
    action: { type: 'string', enum: ['resume', 'retry', 'approve', 'reject', 'abort'] },
    note: { type: 'string', maxLength: 2000 },
    subjectToken: { type: 'string', description: 'resume only: a fresh token of the same user (same iss and sub)' },
  },
};
