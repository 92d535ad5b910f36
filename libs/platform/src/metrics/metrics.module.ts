import { Controller, DynamicModule, Get, Header, Inject, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { Public } from '../http/public.decorator.js';
import { createMetricsRegistry } from './metrics.js';

// Documented in the api's OpenAPI document (apps/api/src/http/operations.openapi.ts): no swagger here.
@Public()
@Controller('metrics')
class MetricsController {
  constructor(@Inject(Registry) private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/** `/metrics` in Prometheus text format (prom-client); inject `Registry` to add instruments. */
@Module({})
export class MetricsModule {
  static forRoot(app: 'api' | 'worker'): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: Registry, useFactory: () => createMetricsRegistry(app) }],
      exports: [Registry],
    };
  }
}
