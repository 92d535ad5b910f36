import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { BatonConfig } from './config.loader.js';

export const BATON_CONFIG = Symbol('BATON_CONFIG');

/** Injects the one typed, already-validated BatonConfig. */
export const InjectConfig = (): ParameterDecorator => Inject(BATON_CONFIG);

/**
 * Carries the config validated in main.ts (before Nest boots, so a bad value stops the process with
 * one line) into the container. Nothing else reads process.env.
 */
@Global()
@Module({})
export class BatonConfigModule {
  static forRoot(config: BatonConfig): DynamicModule {
    return {
      module: BatonConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ baton: config })] })],
      providers: [
        { provide: BATON_CONFIG, inject: [ConfigService], useFactory: (c: ConfigService) => c.getOrThrow('baton') },
      ],
      exports: [BATON_CONFIG],
    };
  }
}
