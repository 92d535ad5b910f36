import { Controller, Get, Logger, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiScopeKey, pageQuerySchema, parseQuery } from '@baton/platform';
import {
  AuditChainVerifier,
  AuditQuery,
  AuditReader,
  RunService,
  parseAuditExportQuery,
  parseAuditListQuery,
  parseAuditStatsQuery,
} from '@baton/workflow';
import type { Response } from 'express';
import { z } from 'zod';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { ApiProblemResponses } from '../http/api-problem-responses.decorator.js';
import { ApiPageQueries } from '../http/api-page-queries.decorator.js';
import { refTo } from '../workflows/workflow.openapi.js';
import { ApiAuditFilterQueries, ApiAuditStatsQueries } from './audit.openapi.js';
import { NDJSON_CONTENT_TYPE, streamNdjson } from './ndjson-response.js';

const runTrailQuery = z.strictObject({ ...pageQuerySchema });
const noQuery = z.strictObject({});

/** The audit trail (SPEC §6, §7): dashboards' queries, stats and exports, and each run's own trail. */
@ApiTags('audit')
@ApiProblemResponses(400, 401)
@Controller('v1')
export class AuditController {
  private readonly logger = new Logger(AuditController.name);

  constructor(
    private readonly query: AuditQuery,
    private readonly verifier: AuditChainVerifier,
    private readonly reader: AuditReader,
    private readonly runs: RunService,
  ) {}

  @Get('audit')
  @RequiresScope(ApiScopeKey.AuditRead)
  @ApiOperation({
    operationId: 'listAuditEntries',
    summary: 'Audit entries across runs, filtered, newest first by default (auditRead)',
    description:
      'Keyset pages on (at, id): a walk never repeats an entry, and every entry committed before the first page appears exactly once.',
  })
  @ApiAuditFilterQueries()
  @ApiPageQueries()
  @ApiOkResponse({ schema: refTo('AuditEntryPage') })
  @ApiProblemResponses(403)
  list(@Query() query: Record<string, unknown>, @CurrentUser() user: AuthenticatedUser) {
    return this.query.list(parseAuditListQuery(query, user.tenant));
  }

  @Get('audit/stats')
  @RequiresScope(ApiScopeKey.AuditRead)
  @ApiOperation({
    operationId: 'getAuditStats',
    summary: 'Success and failure counts per UTC time bucket and group, for entries with from ≤ at < to (auditRead)',
  })
  @ApiAuditStatsQueries()
  @ApiOkResponse({ schema: refTo('AuditStats') })
  @ApiProblemResponses(403)
  stats(@Query() query: Record<string, unknown>, @CurrentUser() user: AuthenticatedUser) {
    return this.query.stats(parseAuditStatsQuery(query, user.tenant));
  }

  @Get('audit/export')
  @RequiresScope(ApiScopeKey.AuditRead)
  @ApiOperation({
    operationId: 'exportAuditEntries',
    summary: 'Every matching entry as NDJSON, streamed (auditRead); the same filters as GET /v1/audit',
  })
  @ApiAuditFilterQueries()
  @ApiProduces(NDJSON_CONTENT_TYPE)
  @ApiOkResponse({
    description: 'One audit entry (JSON) per line',
    content: { [NDJSON_CONTENT_TYPE]: { schema: { type: 'string' } } },
  })
  @ApiProblemResponses(403)
  async export(
    @Query() query: Record<string, unknown>,
    @CurrentUser() user: AuthenticatedUser,
    @Res() res: Response,
  ): Promise<void> {
    const parsed = parseAuditExportQuery(query, user.tenant);
    await streamNdjson(res, (signal) => this.query.export(parsed, { signal }), this.logger);
  }

  @Get('runs/:id/audit')
  @ApiOperation({
    operationId: 'listRunAuditEntries',
    summary: "A run's audit entries, oldest first (owner or auditRead)",
  })
  @ApiPageQueries()
  @ApiOkResponse({ schema: refTo('AuditEntryPage') })
  @ApiProblemResponses(404)
  async runTrail(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    const { limit, cursor } = parseQuery(runTrailQuery, query);
    const run = await this.runs.visibleRun(id, user, ApiScopeKey.AuditRead);
    return this.reader.forRun(run.id, limit, cursor);
  }

  @Get('runs/:id/audit/verify')
  @ApiOperation({
    operationId: 'verifyRunAuditChain',
    summary: "Recompute a run's hash chain (owner or auditRead): brokenAt is the first entry that does not match",
  })
  @ApiOkResponse({ schema: refTo('AuditChainVerdict') })
  @ApiProblemResponses(404)
  async verify(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    parseQuery(noQuery, query);
    const run = await this.runs.visibleRun(id, user, ApiScopeKey.AuditRead);
    return this.verifier.verify(run.id);
  }
}
