import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { viewComponentSchemas } from '@baton/workflow';
import { auditStatsSchema, auditVerdictSchema } from '../audit/audit.openapi.js';
import { resolveBodySchema } from '../escalations/escalations.openapi.js';
import { startRunBodySchema } from '../runs/runs.openapi.js';
import { problemSchema } from './api-problem-responses.decorator.js';
import { OPERATIONS_PATHS } from './operations.openapi.js';

const TAGS: [name: string, description: string][] = [
  ['workflows', 'Workflow definitions: versioned, immutable, validated (SPEC §3)'],
  ['runs', 'Starting, reading and cancelling runs (SPEC §4)'],
  ['escalations', 'The human-in-the-loop queue: list, read and resolve (SPEC §5)'],
  ['audit', 'The append-only, hash-chained audit trail: queries, stats, export, verification (SPEC §6)'],
  ['live', "Live events as Server-Sent Events: a run's events and the audit stream, in commit order (SPEC §13)"],
  ['operations', 'Health and Prometheus metrics; no authentication'],
];

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/**
 * The OpenAPI document of the API. Response views are named components generated from the zod
 * schemas that type them (libs/workflow views); every /v1 operation needs a bearer token and may
 * answer 401 (with WWW-Authenticate) or 503 (token issuer unreachable, with Retry-After); health,
 * metrics and docs need none.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Baton')
    .setDescription(
      'Durable workflows for AI agents acting on behalf of users, with per-node RFC 8693 token exchange, ' +
        'a human-in-the-loop escalation queue and an append-only audit trail. Errors are RFC 9457 problem+json.',
    )
    .setVersion('1')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('http://localhost:3000', 'A local Baton API (PORT defaults to 3000)')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user access token from a trusted issuer' },
      'bearer',
    );
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build());
  Object.assign(document.paths, OPERATIONS_PATHS);

  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...(viewComponentSchemas() as NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>),
      Problem: problemSchema,
      AuditStats: auditStatsSchema,
      AuditChainVerdict: auditVerdictSchema,
      StartRunRequest: startRunBodySchema,
      ResolveEscalationRequest: resolveBodySchema,
    } as NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>,
    responses: {
      Unauthorized: {
        description: 'Missing or invalid bearer token',
        headers: {
          'WWW-Authenticate': {
            description: 'Bearer, with error="invalid_token" when a token was presented',
            schema: { type: 'string' },
          },
        },
        content: PROBLEM,
      },
      IssuerUnavailable: {
        description: 'The token issuer cannot be reached to verify the token',
        headers: {
          'Retry-After': {
            description: 'seconds to wait before trying again',
            schema: { type: 'integer', minimum: 0 },
          },
        },
        content: PROBLEM,
      },
    },
  };

  for (const [path, item] of Object.entries(document.paths)) {
    const authenticated = path.startsWith('/v1/');
    for (const operation of Object.values(item)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      if (!authenticated) {
        operation.security = [];
        continue;
      }
      operation.security = [{ bearer: [] }];
      operation.responses['401'] = { $ref: '#/components/responses/Unauthorized' };
      operation.responses['503'] ??= { $ref: '#/components/responses/IssuerUnavailable' };
    }
  }
  return document;
}

/** `/docs` (Swagger UI) and `/docs-json` (the OpenAPI document). */
export function useOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
