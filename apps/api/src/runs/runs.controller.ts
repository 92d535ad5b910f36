import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError, DomainErrorCode, pageQuerySchema, parseQuery } from '@baton/platform';
import { RUN_STATUSES, RunService, type RunStatus } from '@baton/workflow';
import type { Response } from 'express';
import { z } from 'zod';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user.js';
import { ApiProblemResponses } from '../http/api-problem-responses.decorator.js';
import { ApiPageQueries } from '../http/api-page-queries.decorator.js';
import { refTo } from '../workflows/workflow.openapi.js';
import { ApiRunListQueries, LOCATION_HEADER } from './runs.openapi.js';

const listQuery = z.strictObject({
  ...pageQuerySchema,
  status: z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]).optional(),
  workflow: z.string().min(1).max(64).optional(),
  rootOnly: z.enum(['true', 'false']).optional(),
});
const idempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII');

@ApiTags('runs')
@ApiProblemResponses(400, 401, 404)
@Controller('v1')
export class RunsController {
  constructor(private readonly runs: RunService) {}

  @Post('workflows/:name/runs')
  @ApiOperation({
    operationId: 'startRun',
    summary: "Start a run; the caller's token becomes its subject token (stored encrypted)",
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    description: 'a repeat from the same user returns the first run (200)',
  })
  @ApiHeader({
    name: 'traceparent',
    required: false,
    schema: { type: 'string' },
    description:
      "W3C Trace Context: kept with the run; the run's downstream calls carry a child of it (a malformed one is ignored)",
  })
  @ApiBody({ schema: refTo('StartRunRequest'), required: false })
  @ApiAcceptedResponse({
    description: 'Run started; Location names it',
    schema: refTo('StartedRun'),
    headers: LOCATION_HEADER,
  })
  @ApiOkResponse({
    description: 'An earlier run with the same Idempotency-Key',
    schema: refTo('StartedRun'),
    headers: LOCATION_HEADER,
  })
  @ApiProblemResponses(413, 415, 422)
  async start(
    @Param('name') name: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Headers('traceparent') traceparent: string | undefined,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (key !== undefined && !idempotencyKey.safeParse(key).success) {
      throw new DomainError(DomainErrorCode.InvalidInput, 'Invalid Idempotency-Key', [
        { path: '$.headers.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
      ]);
    }
    const { run, created } = await this.runs.start(name, body, user, user.token, key, traceparent);
    res.status(created ? 202 : 200).location(`/v1/runs/${run.id}`);
    return { id: run.id, status: run.status, workflow: run.workflow, createdAt: run.createdAt };
  }

  @Get('runs')
  @ApiOperation({ operationId: 'listRuns', summary: 'List runs, newest first: your own, or all with runsReadAll' })
  @ApiRunListQueries()
  @ApiPageQueries()
  @ApiOkResponse({ schema: refTo('RunPage') })
  list(@Query() query: Record<string, unknown>, @CurrentUser() user: AuthenticatedUser) {
    const { limit, cursor, status, workflow, rootOnly } = parseQuery(listQuery, query);
    return this.runs.list(user, { limit, cursor, status, workflow, rootOnly: rootOnly === 'true' });
  }

  @Get('runs/:id')
  @ApiOperation({ operationId: 'getRun', summary: 'A run with its nodes (owner or runsReadAll)' })
  @ApiOkResponse({ schema: refTo('RunDetail') })
  get(@Param('id') id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.runs.get(id, user);
  }

  @Post('runs/:id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelRun',
    summary: 'Cancel a run at once (owner or runsReadAll); 409 when it is already terminal',
  })
  @ApiOkResponse({ schema: refTo('RunDetail') })
  @ApiProblemResponses(409)
  cancel(@Param('id') id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.runs.cancel(id, user);
  }
}
