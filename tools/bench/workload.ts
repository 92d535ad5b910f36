/** The scope every bench user holds and every bench node requires. */
export const BENCH_SCOPE = 'bench:read';

export const Workflow = {
  /** 5 sequential http nodes, one audience: after a run's first exchange the rest hit the cache. */
  SameAudience: 'bench-seq5',
  /** 5 sequential http nodes, 5 audiences: a new user token misses the cache on every node. */
  DistinctAudiences: 'bench-seq5-distinct',
  /** The revocation phase: `BENCH_SSF_STEPS` sequential http nodes against the slow downstream. */
  Revocation: 'bench-ssf',
} as const;

export const NODES_PER_RUN = 5;

/** A workflow of `steps` (NODES_PER_RUN) sequential `http` nodes, each with `oauth`, calling `resourceUrl`. */
export function sequentialHttpWorkflow(
  name: string,
  resourceUrl: string,
  audienceOf: (index: number) => string,
  steps = NODES_PER_RUN,
): Record<string, unknown> {
  return {
    name,
    description: `bench: ${steps} sequential http nodes`,
    agentId: 'bench-agent',
    defaults: { oauth: { profile: 'corp' }, retry: { maxAttempts: 3, backoffMs: 100 }, timeoutMs: 10_000 },
    nodes: Array.from({ length: steps }, (_, i) => ({
      id: `step${i + 1}`,
      type: 'http',
      ...(i > 0 ? { dependsOn: [`step${i}`] } : {}),
      oauth: { requiredScopes: [BENCH_SCOPE], audience: audienceOf(i) },
      request: { method: 'GET', url: `${resourceUrl}/items/{{input.item}}/step${i + 1}` },
    })),
  };
}
