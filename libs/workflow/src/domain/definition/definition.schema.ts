import { z } from 'zod';

/** Limits and patterns of a workflow definition (SPEC §3). */
export const WORKFLOW_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const HANDLER_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
export const MAX_NODES = 100;
export const MAX_RETRY_ATTEMPTS = 20;
export const MAX_BACKOFF_MS = 600_000;
export const MAX_TIMEOUT_MS = 600_000;

export const NodeType = {
  Http: 'http',
  Approval: 'approval',
  Handler: 'handler',
  /** SPEC §11: starts a child run of another (or the same) workflow, attenuated to the node's ceiling. */
  Workflow: 'workflow',
} as const;
export type NodeType = (typeof NodeType)[keyof typeof NodeType];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** RFC 9110 §5.1 field-name (a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const scope = z
  .string()
  .regex(SCOPE_TOKEN, 'must be a scope name: printable characters without spaces, quotes or backslashes');

/** Any JSON value; each non-JSON leaf (undefined, a function, NaN, a Date…) is its own problem. */
const jsonValue = z.unknown().superRefine((value, ctx) => {
  for (const path of nonJsonPaths(value, [])) ctx.addIssue({ code: 'custom', path, message: 'must be a JSON value' });
});

function nonJsonPaths(value: unknown, path: PropertyKey[]): PropertyKey[][] {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return [];
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => nonJsonPaths(item, [...path, index]));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).flatMap(([key, item]) => nonJsonPaths(item, [...path, key]));
  }
  return [path];
}

const resourceUri = z
  .string()
  .refine(isAbsoluteUriWithoutFragment, 'must be an absolute URI without a fragment (RFC 8707)');

function isAbsoluteUriWithoutFragment(value: string): boolean {
  return URL.canParse(value) && !value.includes('#');
}

/** `oauth` on a node or in `defaults`; every key optional here because the two merge key by key. */
export const oauthSchema = z
  .strictObject({
    profile: z.string().min(1, 'must not be empty'),
    requiredScopes: z.array(scope),
    optionalScopes: z.array(scope),
    audience: z.string().min(1, 'must not be empty'),
    resource: resourceUri,
  })
  .partial();

/** Both keys optional: a node's retry merges key by key over `defaults.retry` and the built-in policy. */
export const retrySchema = z
  .strictObject({
    maxAttempts: z.int().min(1).max(MAX_RETRY_ATTEMPTS),
    backoffMs: z.int().min(0).max(MAX_BACKOFF_MS),
  })
  .partial();

const timeoutMs = z.int().min(1).max(MAX_TIMEOUT_MS);

const commonNodeFields = {
  id: z.string().regex(NODE_ID_PATTERN, `must match ${NODE_ID_PATTERN.source}`),
  dependsOn: z.array(z.string()).optional(),
  oauth: oauthSchema.optional(),
  retry: retrySchema.optional(),
  timeoutMs: timeoutMs.optional(),
};

const stringRecord = z.record(z.string(), z.string());

export const httpRequestSchema = z.strictObject({
  method: z.enum(HTTP_METHODS),
  url: z.string().min(1, 'must not be empty'),
  headers: z.record(z.string().regex(HEADER_NAME, 'must be a valid header name'), z.string()).optional(),
  query: stringRecord.optional(),
  body: jsonValue.optional(),
});

export const httpNodeSchema = z.strictObject({
  ...commonNodeFields,
  type: z.literal(NodeType.Http),
  request: httpRequestSchema,
});

export const approvalNodeSchema = z.strictObject({
  ...commonNodeFields,
  type: z.literal(NodeType.Approval),
  approval: z.strictObject({ prompt: z.string().min(1, 'must not be empty') }),
});

export const handlerNodeSchema = z.strictObject({
  ...commonNodeFields,
  type: z.literal(NodeType.Handler),
  handler: z.string().regex(HANDLER_NAME_PATTERN, `must match ${HANDLER_NAME_PATTERN.source}`),
  input: jsonValue.optional(),
});

/** SPEC §11: `version` absent → the child workflow's latest version when the child starts (then pinned). */
export const subWorkflowNodeSchema = z.strictObject({
  ...commonNodeFields,
  type: z.literal(NodeType.Workflow),
  workflow: z.strictObject({
    name: z.string().regex(WORKFLOW_NAME_PATTERN, `must match ${WORKFLOW_NAME_PATTERN.source}`),
    version: z.int().min(1).optional(),
    input: jsonValue.optional(),
  }),
});

export const workflowNodeSchema = z.discriminatedUnion('type', [
  httpNodeSchema,
  approvalNodeSchema,
  handlerNodeSchema,
  subWorkflowNodeSchema,
]);

export const workflowDefinitionSchema = z.strictObject({
  name: z.string().regex(WORKFLOW_NAME_PATTERN, `must match ${WORKFLOW_NAME_PATTERN.source}`),
  description: z.string().optional(),
  agentId: z.string().min(1).max(128).optional(),
  defaults: z
    .strictObject({
      oauth: oauthSchema.optional(),
      retry: retrySchema.optional(),
      timeoutMs: timeoutMs.optional(),
    })
    .optional(),
  /** Compiled as a JSON Schema by the meaning check; here it only has to be an object. */
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  nodes: z.array(workflowNodeSchema).min(1).max(MAX_NODES),
});

export type WorkflowDefinition = z.infer<typeof workflowDefinitionSchema>;
export type WorkflowNode = z.infer<typeof workflowNodeSchema>;
export type HttpNode = z.infer<typeof httpNodeSchema>;
export type ApprovalNode = z.infer<typeof approvalNodeSchema>;
export type HandlerNode = z.infer<typeof handlerNodeSchema>;
export type SubWorkflowNode = z.infer<typeof subWorkflowNodeSchema>;
export type HttpRequestSpec = z.infer<typeof httpRequestSchema>;
export type NodeOAuthSpec = z.infer<typeof oauthSchema>;
export type RetrySpec = z.infer<typeof retrySchema>;
