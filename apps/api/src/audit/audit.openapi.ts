import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import {
  AUDIT_OPERATIONS,
  AUDIT_ORDERS,
  AUDIT_STATS_BUCKETS,
  AUDIT_STATS_GROUP_BYS,
  MAX_STATS_BUCKETS,
} from '@baton/workflow';
import type { SchemaObject } from '../workflows/workflow.openapi.js';

const instant = { type: 'string', format: 'date-time' } as const;

/** The filters shared by `GET /v1/audit` and `GET /v1/audit/export`; the stream takes them without to and order. */
export const ApiAuditFilterQueries = (options: { stream?: boolean } = {}): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'runId', required: false, schema: { type: 'string', format: 'uuid' } }),
    ...(options.stream
      ? []
      : [
          ApiQuery({
            name: 'rootRunId',
            required: false,
            description: 'SPEC §11: the entries of this run and of all its descendant runs',
            schema: { type: 'string', format: 'uuid' },
          }),
        ]),
    ApiQuery({ name: 'userId', required: false, description: "the user's sub", schema: { type: 'string' } }),
    ApiQuery({
      name: 'issuer',
      required: false,
      description: "the user's issuer (identities are (issuer, sub) pairs)",
      schema: { type: 'string' },
    }),
    ApiQuery({ name: 'agentId', required: false, schema: { type: 'string' } }),
    ApiQuery({ name: 'workflow', required: false, description: 'workflow name', schema: { type: 'string' } }),
    ApiQuery({
      name: 'operation',
      required: false,
      description: 'repeatable: entries with any of these operations',
      schema: { type: 'array', items: { type: 'string', enum: [...AUDIT_OPERATIONS] } },
      style: 'form',
      explode: true,
    }),
    ApiQuery({ name: 'success', required: false, schema: { type: 'boolean' } }),
    ApiQuery({
      name: 'from',
      required: false,
      description: options.stream
        ? 'ISO 8601 with a zone, or a date (UTC): start with the entries since then (at ≥ from), else live'
        : 'ISO 8601 with a zone, or a date (UTC); entries with at ≥ from',
      schema: instant,
    }),
    ...(options.stream
      ? []
      : [
          ApiQuery({
            name: 'to',
            required: false,
            description: 'ISO 8601 with a zone, or a date (UTC); entries with at < to',
            schema: instant,
          }),
          ApiQuery({
            name: 'order',
            required: false,
            description: 'by (at, id); newest first by default',
            schema: { type: 'string', enum: [...AUDIT_ORDERS], default: 'desc' },
          }),
        ]),
  );

export const ApiAuditStatsQueries = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'from', required: true, description: 'entries with at ≥ from', schema: instant }),
    ApiQuery({ name: 'to', required: true, description: 'entries with at < to', schema: instant }),
    ApiQuery({
      name: 'bucket',
      required: false,
      description: `aligned to UTC boundaries; at most ${MAX_STATS_BUCKETS} buckets per request`,
      schema: { type: 'string', enum: [...AUDIT_STATS_BUCKETS], default: 'hour' },
    }),
    ApiQuery({
      name: 'groupBy',
      required: false,
      schema: { type: 'string', enum: [...AUDIT_STATS_GROUP_BYS], default: 'operation' },
    }),
    ApiQuery({
      name: 'userId',
      required: false,
      description: 'only entries of this user (`sub`)',
      schema: { type: 'string', minLength: 1 },
    }),
    ApiQuery({
      name: 'issuer',
      required: false,
      description: 'only entries of this issuer (with userId: one identity)',
      schema: { type: 'string', minLength: 1 },
    }),
  );

export const auditStatsSchema: SchemaObject = {
  type: 'object',
  required: ['bucket', 'groupBy', 'from', 'to', 'items'],
  properties: {
    bucket: { type: 'string', enum: [...AUDIT_STATS_BUCKETS] },
    groupBy: { type: 'string', enum: [...AUDIT_STATS_GROUP_BYS] },
    from: instant,
    to: instant,
    items: {
      type: 'array',
      description: 'buckets and groups with at least one entry, by start then group',
      items: {
        type: 'object',
        required: ['start', 'group', 'success', 'failure'],
        properties: {
          start: { ...instant, description: 'the UTC start of the bucket (may precede from)' },
          group: { type: 'string', nullable: true },
          success: { type: 'integer', minimum: 0 },
          failure: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
};

export const auditVerdictSchema: SchemaObject = {
  type: 'object',
  required: ['valid', 'entries', 'brokenAt'],
  properties: {
    valid: { type: 'boolean' },
    entries: { type: 'integer', minimum: 0, description: 'rows present for the run' },
    brokenAt: {
      type: 'string',
      nullable: true,
      description: 'id of the first entry whose hash or link does not match',
    },
  },
};
