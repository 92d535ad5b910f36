import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiCreatedResponse } from '@nestjs/swagger';
import { ApiScopeKey, parseQuery, pageQuerySchema } from '@baton/platform';
import { WorkflowDefinitionService, WorkflowPreflight } from '@baton/workflow';
import { z } from 'zod';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { ApiProblemResponses } from '../http/api-problem-responses.decorator.js';
import { ApiPageQueries } from '../http/api-page-queries.decorator.js';
import { refTo } from './workflow.openapi.js';

const listQuery = z.strictObject({ ...pageQuerySchema });
const versionParam = z.coerce.number().int().min(1).max(2_147_483_647);

@ApiTags('workflows')
@ApiProblemResponses(400, 401, 403)
@Controller('v1/workflows')
export class WorkflowsController {
  constructor(
    private readonly definitions: WorkflowDefinitionService,
    private readonly preflights: WorkflowPreflight,
  ) {}

  @Post()
  @HttpCode(201)
  @RequiresScope(ApiScopeKey.WorkflowsWrite)
  @ApiOperation({
    operationId: 'createWorkflow',
    summary: 'Register a workflow definition; an existing name gets its next version',
  })
  @ApiBody({ schema: refTo('WorkflowDefinition') })
  @ApiCreatedResponse({
    description:
      'The stored definition with its version and scopeChanges against the version before; Location names it',
    schema: refTo('WorkflowVersion'),
    headers: { Location: { description: 'the path of the stored version', schema: { type: 'string' } } },
  })
  @ApiProblemResponses(413, 415, 422)
  create(@Body() body: unknown, @CurrentUser() user: AuthenticatedUser) {
    return this.definitions.register(body, user);
  }

  @Get()
  @ApiOperation({ operationId: 'listWorkflows', summary: 'List workflows (latest version of each), by name' })
  @ApiPageQueries()
  @ApiOkResponse({ schema: refTo('WorkflowPage') })
  list(@Query() query: Record<string, unknown>, @CurrentUser() user: AuthenticatedUser) {
    const { limit, cursor } = parseQuery(listQuery, query);
    return this.definitions.list(user.tenant, limit, cursor);
  }

  @Get(':name')
  @ApiOperation({ operationId: 'getWorkflow', summary: 'The latest version of a workflow' })
  @ApiParam({ name: 'name', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } })
  @ApiOkResponse({ schema: refTo('Workflow') })
  @ApiProblemResponses(404)
  latest(@Param('name') name: string, @CurrentUser() user: AuthenticatedUser) {
    return this.definitions.getLatest(user.tenant, name);
  }

  @Get(':name/versions/:version')
  @ApiOperation({
    operationId: 'getWorkflowVersion',
    summary: 'A given version of a workflow, with its scopeChanges against the version before',
  })
  @ApiParam({ name: 'name', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } })
  @ApiParam({ name: 'version', schema: { type: 'integer', minimum: 1 } })
  @ApiOkResponse({ schema: refTo('WorkflowVersion') })
  @ApiProblemResponses(404)
  version(@Param('name') name: string, @Param('version') version: string, @CurrentUser() user: AuthenticatedUser) {
    return this.definitions.getVersion(user.tenant, name, parseQuery(versionParam, version));
  }

  @Post(':name/preflight')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'preflightWorkflow',
    summary:
      'What a run would meet if the caller started it now: input problems and a verdict per node; exchange: true tries each distinct exchange once (tokens discarded and revoked). No run is created',
  })
  @ApiParam({ name: 'name', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } })
  @ApiBody({ schema: refTo('PreflightRequest'), required: false })
  @ApiOkResponse({ schema: refTo('Preflight') })
  @ApiProblemResponses(404, 413, 415)
  preflight(@Param('name') name: string, @Body() body: unknown, @CurrentUser() user: AuthenticatedUser) {
    return this.preflights.check(name, body, user);
  }
}
