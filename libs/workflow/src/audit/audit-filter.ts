import { pageQuerySchema, parseQuery } from '@baton/platform';
import { z } from 'zod';
import { AUDIT_OPERATIONS, type AuditOperation } from '../domain/index.js';
import { decodeAuditCursor, type AuditKey } from './audit-cursor.js';
import { AUDIT_ORDERS, AuditOrder } from './audit-order.js';
import { parseIsoInstant } from './iso-instant.js';

/**
 * What dashboards narrow the audit trail by (SPEC §7). Each present field narrows further; times
 * are a half-open range, `from ≤ at < to`.
 */
export interface AuditFilter {
  /** SPEC §12.1: the caller's tenant; every audit query is within one. */
  tenant: string;
  runId?: string;
  /** SPEC §11: this run and all its descendants (not on the live stream). */
  rootRunId?: string;
  userId?: string;
  /** SPEC §16: identities are pairs, so `userId` is narrowed by the issuer that vouched for it. */
  issuer?: string;
  agentId?: string;
  workflow?: string;
  /** Any of these (the query parameter repeats). */
  operations?: AuditOperation[];
  success?: boolean;
  from?: Date;
  to?: Date;
}

/** `GET /v1/audit`: a filter, an order and a keyset page. */
export interface AuditListQuery {
  filter: AuditFilter;
  order: AuditOrder;
  limit: number;
  /** The last entry of the previous page. */
  after?: AuditKey;
}

/** `GET /v1/audit/export`: the same filter and order, every matching entry. */
export interface AuditExportQuery {
  filter: AuditFilter;
  order: AuditOrder;
}

/** Identifiers and names: never empty, never a control character (Postgres refuses NUL in text). */
export const auditTextParam = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

/** An ISO 8601 instant, see parseIsoInstant. */
export const auditInstantParam = z.string().transform((text, ctx) => {
  const instant = parseIsoInstant(text);
  if (instant) return instant;
  ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time with a zone (Z or ±hh:mm), or a date' });
  return z.NEVER;
});

const operationParam = z
  .union([z.string(), z.array(z.string()).max(AUDIT_OPERATIONS.length * 2)])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .pipe(z.array(z.enum(AUDIT_OPERATIONS as [AuditOperation, ...AuditOperation[]])))
  .transform((operations) => [...new Set(operations)]);

const filterShape = {
  runId: z.guid('must be a run id (UUID)').optional(),
  rootRunId: z.guid('must be a run id (UUID)').optional(),
  userId: auditTextParam.optional(),
  issuer: auditTextParam.optional(),
  agentId: auditTextParam.optional(),
  workflow: auditTextParam.optional(),
  operation: operationParam.optional(),
  success: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  from: auditInstantParam.optional(),
  to: auditInstantParam.optional(),
  order: z.enum(AUDIT_ORDERS as [AuditOrder, ...AuditOrder[]]).default(AuditOrder.Desc),
};

const fromNotAfterTo = (params: { from?: Date; to?: Date }, ctx: z.RefinementCtx) => {
  if (params.from && params.to && params.from.getTime() > params.to.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  }
};

const listParams = z.strictObject({ ...filterShape, ...pageQuerySchema }).superRefine(fromNotAfterTo);
const exportParams = z
  .strictObject({ ...filterShape, format: z.enum(['ndjson']).default('ndjson') })
  .superRefine(fromNotAfterTo);

// The stream is live and in commit order: no `order`, no `to`, no paging (SPEC §13).
// Nor `rootRunId`: a stream matches entries by their own fields, and tree membership is not one.
const { order: _order, to: _to, rootRunId: _rootRunId, ...streamFilterShape } = filterShape;
const streamParams = z.strictObject(streamFilterShape);

/** Parses `GET /v1/audit/stream` query parameters: the list's filters except order, to, cursor and limit. */
export function parseAuditStreamQuery(query: unknown, tenant: string): AuditFilter {
  return toFilter(parseQuery(streamParams, query), tenant);
}

/** Parses `GET /v1/audit` query parameters; anything wrong is a 400 naming each parameter. */
export function parseAuditListQuery(query: unknown, tenant: string): AuditListQuery {
  const { limit, cursor, order, ...params } = parseQuery(listParams, query);
  return {
    filter: toFilter(params, tenant),
    order,
    limit,
    after: cursor === undefined ? undefined : decodeAuditCursor(cursor, order),
  };
}

/** Parses `GET /v1/audit/export` query parameters (the list's filters, no paging). */
export function parseAuditExportQuery(query: unknown, tenant: string): AuditExportQuery {
  const { order, format: _format, ...params } = parseQuery(exportParams, query);
  return { filter: toFilter(params, tenant), order };
}

interface FilterParams {
  runId?: string;
  rootRunId?: string;
  userId?: string;
  issuer?: string;
  agentId?: string;
  workflow?: string;
  operation?: AuditOperation[];
  success?: boolean;
  from?: Date;
  to?: Date;
}

/** Only the parameters given, so a filter compares (and logs) as what the caller asked. */
function toFilter(params: FilterParams, tenant: string): AuditFilter {
  const filter: AuditFilter = { tenant };
  if (params.runId !== undefined) filter.runId = params.runId;
  if (params.rootRunId !== undefined) filter.rootRunId = params.rootRunId;
  if (params.userId !== undefined) filter.userId = params.userId;
  if (params.issuer !== undefined) filter.issuer = params.issuer;
  if (params.agentId !== undefined) filter.agentId = params.agentId;
  if (params.workflow !== undefined) filter.workflow = params.workflow;
  if (params.operation !== undefined) filter.operations = params.operation;
  if (params.success !== undefined) filter.success = params.success;
  if (params.from !== undefined) filter.from = params.from;
  if (params.to !== undefined) filter.to = params.to;
  return filter;
}
