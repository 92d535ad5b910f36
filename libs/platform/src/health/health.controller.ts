import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../http/public.decorator.js';
import { RedisProbe } from './redis-probe.js';

const CHECK_TIMEOUT_MS = 2000;

// Documented in the api's OpenAPI document (apps/api/src/http/operations.openapi.ts): no swagger here.
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
  @HealthCheck({ swaggerDocumentation: false })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
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
