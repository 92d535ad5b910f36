/**
 * The configuration as far as node limits go: each tenant's `maxConcurrentNodes` (the loader puts a
 * top-level one on the single tenant `default`).
 */
export interface NodeLimitsConfig {
  tenants: Readonly<Record<string, { maxConcurrentNodes?: number }>>;
}

/** The limited tenants and their `maxConcurrentNodes`; a tenant not in the map is unlimited. */
export function tenantNodeLimits(config: NodeLimitsConfig): ReadonlyMap<string, number> {
  const limits = new Map<string, number>();
  for (const [tenant, settings] of Object.entries(config.tenants)) {
    const limit = settings.maxConcurrentNodes;
    if (limit !== undefined && Number.isInteger(limit) && limit > 0) limits.set(tenant, limit);
  }
  return limits;
}

/**
 * The queued roots of a new run that the starter enqueues itself. A limited tenant's roots are
 * parked in Postgres at start and handed out there (announced to the workers), except `workflow`
 * nodes, which never wait for a slot: a parent waiting on its child must not hold the slot the
 * child needs.
 */
export function rootsToEnqueue<N extends { type: string; queued: boolean }>(
  nodes: readonly N[],
  limited: boolean,
): N[] {
  return nodes.filter((n) => n.queued && (!limited || n.type === WORKFLOW_NODE_TYPE));
}

const WORKFLOW_NODE_TYPE = 'workflow';
