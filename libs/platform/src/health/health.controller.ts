import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../http/public.decorator.js';
import { RedisProbe } from './redis-probe.js';

const CHECK_TIMEOUT_MS = 2000;

// Declared here rather than by terminus, whose own documentation depends on how @nestjs/swagger loads.
const checks = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string' } },
    additionalProperties: true,
  },
};
const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: checks,
    error: checks,
    details: checks,
  },
};
const unhealthySchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    checks,
  },
};
const healthy = ApiOkResponse({ description: 'Healthy', schema: healthSchema });
const unhealthy = ApiServiceUnavailableResponse({
  description: 'A check failed, or the process is shutting down (problem+json with each check)',
  content: { 'application/problem+json': { schema: unhealthySchema } },
});

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisProbe,
  ) {}

  @Get('live')
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: the process answers' })
  @healthy
  @unhealthy
  @HealthCheck({ swaggerDocumentation: false })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness: Postgres and Redis answer (503 otherwise)' })
  @healthy
  @unhealthy
  @HealthCheck({ swaggerDocumentation: false })
  ready() {
    return this.health.check([
      () => this.postgres.pingCheck('postgres', { timeout: CHECK_TIMEOUT_MS }),
      () =>
        this.indicators
          .check('redis')
          .attempt(() => this.redis.ping())
          .withTimeout(CHECK_TIMEOUT_MS),
    ]);
  }
}
