import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, SqlPool, type BatonConfig } from '@baton/platform';
import { tenantNodeLimits, type NodeLimitsConfig } from '../domain/index.js';

/**
 * The tenants' `maxConcurrentNodes` (SPEC §12.1). Postgres enforces them (migration
 * 1733450000000): at boot each api and worker writes the configured limits to `tenant_limits`
 * and hands out the parked nodes a raised (or removed) limit lets through.
 */
@Injectable()
export class TenantLimits implements OnApplicationBootstrap {
  private readonly limits: ReadonlyMap<string, number>;

  constructor(
    private readonly sql: SqlPool,
    @InjectConfig() config: BatonConfig,
  ) {
    this.limits = tenantNodeLimits(config as NodeLimitsConfig);
  }

  /** Whether the tenant's nodes wait for a slot (then Postgres, not the starter, hands them out). */
  isLimited(tenant: string): boolean {
    return this.limits.has(tenant);
  }

  async onApplicationBootstrap(): Promise<void> {
    const tenants = [...this.limits.keys()];
    await this.sql.query(
      'baton_sync_tenant_limits',
      `WITH gone AS (DELETE FROM tenant_limits WHERE tenant <> ALL($1::text[]))
       INSERT INTO tenant_limits (tenant, max_concurrent_nodes) SELECT * FROM unnest($1::text[], $2::integer[])
       ON CONFLICT (tenant) DO UPDATE SET max_concurrent_nodes = EXCLUDED.max_concurrent_nodes`,
      [tenants, tenants.map((t) => this.limits.get(t)!)],
    );
    await this.sql.query('baton_fill_tenants', `SELECT baton_fill_tenants() AS handed`, []);
  }
}
