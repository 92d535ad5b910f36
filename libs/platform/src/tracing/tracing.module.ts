import { DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { BatonConfig } from '../config/config.loader.js';
import { startTracing, Tracing } from './tracing.js';

class TracingShutdown implements OnApplicationShutdown {
  constructor(@Inject(Tracing) private readonly tracing: Tracing) {}

  /** Flushes the spans still batched, so a stopping process loses none. */
  async onApplicationShutdown(): Promise<void> {
    await this.tracing.shutdown();
  }
}

/** `Tracing` for the app (`Tracing.disabled` unless `config.tracing` names an OTLP endpoint). */
@Global()
@Module({})
export class TracingModule {
  static forRoot(config: BatonConfig, serviceName: string): DynamicModule {
    return {
      module: TracingModule,
      providers: [
        { provide: Tracing, useFactory: () => startTracing(config.tracing.otlpEndpoint, serviceName) },
        TracingShutdown,
      ],
      exports: [Tracing],
    };
  }
}
