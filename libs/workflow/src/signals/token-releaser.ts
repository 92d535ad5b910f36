import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SqlPool } from '@baton/platform';
import type { ReleasedToken } from '@baton/oauth';
import { TenantExchangers } from '../engine/tenant-exchangers.js';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../audit/audit-writer.js';
import { AuditOperation, NodeStatus, TERMINAL_RUN_STATUSES } from '../domain/index.js';

/** How often held runs are checked for their end (only while this worker holds such tokens). */
const CHECK_EVERY_MS = 1000;

/**
 * SPEC §10.4 in the worker that holds the tokens: once a run is terminal and none of its nodes is
 * still running, its tokens of `revokeOnRunEnd` profiles are revoked in the background (never
 * delaying the run) and each try is audited `token.released`. The check is one query over the runs
 * this worker holds tokens of, and runs only while it holds some; NodeRunner also asks at once when
 * one of its steps ended a run. A token lost with a crashed worker expires on its own.
 */
@Injectable()
export class TokenReleaser implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TokenReleaser.name);
  private timer?: NodeJS.Timeout;
  private checking = false;
  private readonly releasing = new Set<Promise<void>>();

  constructor(
    private readonly exchanger: TenantExchangers,
    private readonly sql: SqlPool,
    private readonly audit: AuditWriter,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.check();
    await Promise.allSettled([...this.releasing]);
  }

  /** A step of this worker may have ended a run: check now rather than at the next tick. */
  runMayHaveEnded(): void {
    if (this.exchanger.heldRuns().length > 0) void this.check();
  }

  private async check(): Promise<void> {
    const held = this.exchanger.heldRuns();
    if (held.length === 0 || this.checking) return;
    this.checking = true;
    try {
      const ended = await this.sql.query<{ id: string }>(
        'baton_runs_ended',
        `SELECT r.id FROM runs r WHERE r.id = ANY($1) AND r.status = ANY($2)
           AND NOT EXISTS (SELECT 1 FROM node_runs n WHERE n.run_id = r.id AND n.status = $3)`,
        [held, TERMINAL_RUN_STATUSES, NodeStatus.Running],
      );
      for (const { id } of ended) {
        const release = this.release(id).finally(() => this.releasing.delete(release));
        this.releasing.add(release);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not check which runs ended; tokens are released later');
    } finally {
      this.checking = false;
    }
  }

  private async release(runId: string): Promise<void> {
    const released = await this.exchanger.releaseRun(runId);
    if (released.length === 0) return;
    try {
      await this.audit.writeForRun(this.dataSource.manager, runId, released.map(toAudit));
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'could not audit released tokens');
    }
  }
}

function toAudit(token: ReleasedToken) {
  return {
    operation: AuditOperation.TokenReleased,
    success: token.revoked,
    details: {
      profile: token.profile,
      ...(token.jti && { jti: token.jti }),
      revoked: token.revoked,
      status: token.status,
    },
  };
}
