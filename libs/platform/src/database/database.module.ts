import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { BatonConfig } from '../config/config.loader.js';
import { dataSourceOptions, openDataSource, type EntityList } from './database.js';
import { SqlPool } from './sql-pool.js';

/** TypeORM on the configured Postgres; creates the database and migrates at start (SPEC §2). */
@Module({})
export class DatabaseModule {
  static forRoot(config: BatonConfig, entities: EntityList): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(config.databaseUrl, entities),
            // Postgres may still be starting (docker compose, CI): retry for about 20 s, then give up.
            retryAttempts: 10,
            retryDelay: 2000,
          }),
          dataSourceFactory: () => openDataSource(config.databaseUrl, entities, config.migrate),
        }),
      ],
      providers: [SqlPool],
      exports: [TypeOrmModule, SqlPool],
    };
  }
}
