import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { pageQuerySchema, parseQuery } from '@baton/platform';
import {
  ESCALATION_REASONS,
  ESCALATION_STATUSES,
  ApprovalPolicy,
  EscalationQueries,
  EscalationResolver,
} from '@baton/workflow';
import { z } from 'zod';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user.js';
import { ApiProblemResponses } from '../http/api-problem-responses.decorator.js';
import { ApiPageQueries } from '../http/api-page-queries.decorator.js';
import { refTo } from '../workflows/workflow.openapi.js';
import { ApiEscalationListQueries } from './escalations.openapi.js';

const listQuery = z.strictObject({
  ...pageQuerySchema,
  status: z.enum(ESCALATION_STATUSES as [string, ...string[]]).default('open'),
  reason: z.enum(ESCALATION_REASONS as [string, ...string[]]).optional(),
  runId: z.uuid().optional(),
  workflow: z.string().min(1).max(64).optional(),
});

@ApiTags('escalations')
@ApiProblemResponses(400, 401, 404)
@Controller('v1/escalations')
export class EscalationsController {
  constructor(
    private readonly queries: EscalationQueries,
    private readonly resolver: EscalationResolver,
    private readonly approvals: ApprovalPolicy,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listEscalations',
    summary: 'The queue: your own escalations, or all with escalationsResolve (newest first)',
  })
  @ApiEscalationListQueries()
  @ApiPageQueries()
  @ApiOkResponse({ schema: refTo('EscalationPage') })
  list(@Query() query: Record<string, unknown>, @CurrentUser() user: AuthenticatedUser) {
    const { limit, cursor, status, reason, runId, workflow } = parseQuery(listQuery, query);
    return this.queries.list(user, { limit, cursor, status, reason, runId, workflow });
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getEscalation', summary: 'An escalation (run owner or escalationsResolve)' })
  @ApiOkResponse({ schema: refTo('Escalation') })
  get(@Param('id') id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.queries.get(id, user);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resolveEscalation',
    summary: 'Resolve: resume (with a fresh subjectToken of the same user), retry, approve, reject or abort',
    description:
      'A second resolve answers 409; an action that does not fit the reason, or an invalid subjectToken, 422; a token of another user, 403.',
  })
  @ApiBody({ schema: refTo('ResolveEscalationRequest') })
  @ApiOkResponse({ schema: refTo('Escalation') })
  @ApiProblemResponses(403, 409, 415, 422, 503)
  async resolve(@Param('id') id: string, @Body() body: unknown, @CurrentUser() user: AuthenticatedUser) {
    await this.approvals.assertMayResolve(id, body, user); // issue 10 item 8
    return this.resolver.resolve(id, body, user);
  }
}
