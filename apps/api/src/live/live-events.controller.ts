import { Controller, Get, Headers, Param, Query, Res, type OnModuleDestroy } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiScopeKey, DomainError, DomainErrorCode, InjectConfig, type BatonConfig } from '@baton/platform';
import {
  AuditEventStream,
  AuditFeed,
  EscalationQueries,
  RunEventStream,
  RunService,
  parseAuditStreamQuery,
  parseStreamPosition,
  type StreamPosition,
} from '@baton/workflow';
import type { Response } from 'express';
import { CurrentUser, type AuthenticatedUser } from '../auth/authenticated-user.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { ApiAuditFilterQueries } from '../audit/audit.openapi.js';
import { ApiProblemResponses } from '../http/api-problem-responses.decorator.js';
import { SSE_CONTENT_TYPE, SseResponse } from './sse-response.js';

const LAST_EVENT_ID = {
  name: 'Last-Event-ID',
  required: false,
  description: 'Resume after this event id: every audit entry after it is sent first, none twice',
};
const SSE_BODY = {
  description: 'Server-Sent Events (see SPEC §13); a comment line every api.events.heartbeatSeconds',
  content: { [SSE_CONTENT_TYPE]: { schema: { type: 'string' } } },
} as const;

/** Live events (SPEC §13): a run's events and the audit stream, as Server-Sent Events. */
@ApiTags('live')
@ApiProblemResponses(400, 401)
@Controller('v1')
export class LiveEventsController implements OnModuleDestroy {
  private readonly open = new Set<SseResponse>();

  constructor(
    private readonly feed: AuditFeed,
    private readonly runs: RunService,
    private readonly escalations: EscalationQueries,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  @Get('runs/:id/events')
  @ApiOperation({
    operationId: 'streamRunEvents',
    summary: "A run's live events: snapshot, then run, node, escalation and audit events (owner or runsReadAll)",
  })
  @ApiHeader(LAST_EVENT_ID)
  @ApiProduces(SSE_CONTENT_TYPE)
  @ApiOkResponse(SSE_BODY)
  @ApiProblemResponses(404)
  async runEvents(
    @Param('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentUser() user: AuthenticatedUser,
    @Res() res: Response,
  ): Promise<void> {
    const resumeAfter = resumePosition(lastEventId);
    const run = await this.runs.visibleRun(id, user); // 404 as problem+json, before the stream opens
    const sink = this.sseFor(res, user);
    const stream = new RunEventStream(this.feed, sink, run.id, user, this.runs, this.escalations);
    await stream.open(); // before the headers: a 503 while Postgres is away, and nothing missed after
    this.begin(sink, () => stream.stop());
    await stream.start(resumeAfter).catch(() => stream.stop());
  }

  @Get('audit/stream')
  @RequiresScope(ApiScopeKey.AuditRead)
  @ApiOperation({
    operationId: 'streamAuditEntries',
    summary: 'Audit entries as they commit (auditRead); the filters of GET /v1/audit but order, to, cursor, limit',
    description:
      '`from` starts with the entries since then, else live. Event ids are stream positions in commit order.',
  })
  @ApiAuditFilterQueries({ stream: true })
  @ApiHeader(LAST_EVENT_ID)
  @ApiProduces(SSE_CONTENT_TYPE)
  @ApiOkResponse(SSE_BODY)
  @ApiProblemResponses(403)
  async auditStream(
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentUser() user: AuthenticatedUser,
    @Res() res: Response,
  ): Promise<void> {
    const filter = parseAuditStreamQuery(query, user.tenant);
    const resumeAfter = resumePosition(lastEventId);
    const sink = this.sseFor(res, user);
    const stream = new AuditEventStream(this.feed, filter, sink);
    await stream.open();
    this.begin(sink, () => stream.stop());
    await stream.start({ resumeAfter, fromStart: filter.from !== undefined }).catch(() => stream.stop());
  }

  /** Streams hold connections open: end them so that the server can close. */
  onModuleDestroy(): void {
    for (const sink of this.open) sink.end();
  }

  private sseFor(res: Response, user: AuthenticatedUser): SseResponse {
    return new SseResponse(res, {
      heartbeatMs: this.config.api.events.heartbeatSeconds * 1000,
      maxBufferedBytes: this.config.api.events.maxBufferedKiB * 1024,
      endsAt: user.expiresAt,
    });
  }

  /** Sends the headers and tracks the stream until it closes. */
  private begin(sink: SseResponse, stop: () => void): void {
    sink.open();
    this.open.add(sink);
    sink.onClose(() => {
      this.open.delete(sink);
      stop();
    });
  }
}

function resumePosition(lastEventId: string | undefined): StreamPosition | undefined {
  if (lastEventId === undefined || lastEventId === '') return undefined;
  const position = parseStreamPosition(lastEventId);
  if (!position)
    throw new DomainError(DomainErrorCode.InvalidInput, 'Last-Event-ID is not an event id of this stream', [
      { path: 'Last-Event-ID', message: 'must be <tx>-<id> as sent in an id: line' },
    ]);
  return position;
}
