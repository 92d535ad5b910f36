import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The pg pool under TypeORM's DataSource, for the engine's hot path: named statements are parsed
 * and planned once per connection, and rows come back without TypeORM's query runner in between.
 * Same connections, same configuration; TypeORM stays for everything else.
 */
@Injectable()
export class SqlPool {
  private readonly pool: pg.Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
  }

  /** One statement; `name` makes it a prepared statement (the text must never vary for a name). */
  async query<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const result = await this.pool.query<T & pg.QueryResultRow>({ name, text, values });
    return result.rows;
  }
}
