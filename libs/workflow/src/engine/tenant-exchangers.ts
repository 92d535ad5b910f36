import { TokenExchanger, type ReleasedToken } from '@baton/oauth';
import type { BatonConfig } from '@baton/platform';

/**
 * One `TokenExchanger` per tenant (SPEC §12.1): a tenant's nodes exchange only with its own
 * profiles, and two tenants may both name a profile `corp`. Everything that is about tokens rather
 * than a tenant (a revoked subject, a run's release) asks each of them.
 */
export class TenantExchangers {
  private readonly byTenant: ReadonlyMap<string, TokenExchanger>;

  constructor(config: Pick<BatonConfig, 'tenants'>, options: { httpTimeoutSeconds?: number } = {}) {
    this.byTenant = new Map(
      Object.values(config.tenants).map((tenant) => [
        tenant.name,
        new TokenExchanger({ profiles: tenant.exchangeProfiles, ...options }),
      ]),
    );
  }

  /** The tenant's exchanger; a tenant Baton does not know is a programming error (tenants come from rows). */
  of(tenant: string): TokenExchanger {
    const exchanger = this.byTenant.get(tenant);
    if (!exchanger) throw new Error(`no exchange profiles for tenant ${tenant}`);
    return exchanger;
  }

  /** Drops every cached token exchanged from the subject token with this digest; returns how many. */
  dropSubject(digest: string): number {
    let dropped = 0;
    for (const exchanger of this.byTenant.values()) dropped += exchanger.dropSubject(digest);
    return dropped;
  }

  /** Runs holding tokens of a `revokeOnRunEnd` profile, in any tenant. */
  heldRuns(): string[] {
    return [...this.byTenant.values()].flatMap((exchanger) => exchanger.heldRuns());
  }

  async releaseRun(runId: string): Promise<ReleasedToken[]> {
    const released = await Promise.all([...this.byTenant.values()].map((exchanger) => exchanger.releaseRun(runId)));
    return released.flat();
  }
}
