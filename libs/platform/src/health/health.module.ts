import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { RedisProbe } from './redis-probe.js';

/** `/health/live` and `/health/ready` (Postgres and Redis), served by both api and worker. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [RedisProbe],
})
export class HealthModule {}
