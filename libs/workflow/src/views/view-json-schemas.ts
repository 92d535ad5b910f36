import { z } from 'zod';
import { auditEntryViewSchema } from '../audit/audit-entry.view.js';
import { workflowDefinitionSchema } from '../domain/definition/definition.schema.js';
import { preflightRequestSchema, preflightViewSchema } from '../preflight/preflight.views.js';
import { SCOPE_KINDS, type ScopeKind } from '../domain/scopes/scope-changes.js';
import { escalationViewSchema } from '../escalations/escalation.views.js';
import {
  nodeRunViewSchema,
  runDetailViewSchema,
  runSummaryViewSchema,
  runViewSchema,
  startedRunViewSchema,
} from '../runs/run.views.js';
import { instant, pageSchemaOf } from './view-fields.js';

/** A stored definition as the API answers it: the definition as posted, with its version. */
export const storedWorkflowViewSchema = workflowDefinitionSchema.extend({
  version: z.int().min(1),
  createdAt: instant,
});

const scopeDeclarationSchema = z.object({
  node: z.string(),
  scope: z.string(),
  kind: z.enum(SCOPE_KINDS as [ScopeKind, ...ScopeKind[]]),
});

/** SPEC §12.3: what a version changed in its nodes' scopes, against the version before it. */
export const scopeChangesViewSchema = z.object({
  previousVersion: z.int().min(1).nullable().describe('null for version 1, which lists every scope as added'),
  added: z.array(scopeDeclarationSchema),
  removed: z.array(scopeDeclarationSchema).describe('a scope moving between kinds is removed and added'),
});

/** A stored version with its scope changes: the 201 of POST /v1/workflows and GET …/versions/{v}. */
export const workflowVersionViewSchema = storedWorkflowViewSchema.extend({ scopeChanges: scopeChangesViewSchema });

/** An OpenAPI 3.0 schema object. */
export type JsonSchemaObject = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

function componentsOf(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchemaObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
    uri: (id) => `${COMPONENTS}${id}`,
    // `format` says it; zod's long equivalent patterns would only add noise for generators.
    override: ({ jsonSchema }) => {
      if (jsonSchema.format === 'uuid' || jsonSchema.format === 'date-time') delete jsonSchema.pattern;
      // OpenAPI 3.0: a nullable enum must list null, or validators refuse null.
      if (jsonSchema.nullable === true && Array.isArray(jsonSchema.enum) && !jsonSchema.enum.includes(null))
        jsonSchema.enum.push(null);
    },
  });
  const out: Record<string, JsonSchemaObject> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchemaObject;
    out[id] = rest;
  }
  return out;
}

/**
 * The response views as named OpenAPI components, derived from the zod schemas the views are typed
 * by (one source per shape): `Run`, `RunDetail`, `Node`, `Escalation`, `AuditEntry`, `Workflow` and their pages.
 */
export function viewComponentSchemas(): Record<string, JsonSchemaObject> {
  return {
    ...componentsOf(
      {
        Run: runViewSchema,
        StartedRun: startedRunViewSchema,
        Node: nodeRunViewSchema,
        RunDetail: runDetailViewSchema,
        Escalation: escalationViewSchema,
        AuditEntry: auditEntryViewSchema,
        RunSummary: runSummaryViewSchema,
        RunPage: pageSchemaOf(runSummaryViewSchema),
        EscalationPage: pageSchemaOf(escalationViewSchema),
        AuditEntryPage: pageSchemaOf(auditEntryViewSchema),
        Preflight: preflightViewSchema,
      },
      'output',
    ),
    ...componentsOf(
      {
        WorkflowDefinition: workflowDefinitionSchema,
        Workflow: storedWorkflowViewSchema,
        WorkflowVersion: workflowVersionViewSchema,
        ScopeChanges: scopeChangesViewSchema,
        WorkflowPage: pageSchemaOf(storedWorkflowViewSchema),
        PreflightRequest: preflightRequestSchema,
      },
      'input',
    ),
  };
}

/** `{ $ref }` to a component schema. */
export const componentRef = (name: string): { $ref: string } => ({ $ref: `${COMPONENTS}${name}` });
