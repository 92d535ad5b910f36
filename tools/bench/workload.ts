/** The scope every bench user holds and every bench node requires. */
export const BENCH_SCOPE = 'bench:read';

export const Workflow = {
  /** 5 sequential http nodes, one audience: after a run's first exchange the rest hit the cache. */
  SameAudience: 'bench-seq5',
  /** 5 sequential http nodes, 5 audiences: a new user token misses the cache on every node. */
  DistinctAudiences: 'bench-seq5-distinct',
  /** The revocation phase: `BENCH_SSF_STEPS` sequential http nodes against the slow downstream. */
  Revocation: 'bench-ssf',
  /** Tenant fairness: 5 sequential http nodes against the slow downstream, one such workflow in each tenant. */
  Fairness: 'bench-fair',
  /** Sub-workflow overhead: an http node, then a `workflow` node whose child is one http node … */
  Delegating: 'bench-delegating',
  DelegatedChild: 'bench-child',
  /** … against the same two http calls in one flat run. */
  FlatTwo: 'bench-flat2',
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

/**
 * SPEC §11's overhead: `Delegating` (http, then a `workflow` node starting `DelegatedChild`, one
 * http node) does the same two calls as `FlatTwo` (two sequential http nodes), plus one child run.
 */
export function subWorkflowWorkloads(resourceUrl: string, audience: string): Record<string, unknown>[] {
  const flat = sequentialHttpWorkflow(Workflow.FlatTwo, resourceUrl, () => audience, 2);
  const child = {
    ...sequentialHttpWorkflow(Workflow.DelegatedChild, resourceUrl, () => audience, 1),
    agentId: 'bench-child',
  };
  const parent = sequentialHttpWorkflow(Workflow.Delegating, resourceUrl, () => audience, 1);
  const delegate = {
    id: 'delegate',
    type: 'workflow',
    dependsOn: ['step1'],
    workflow: { name: Workflow.DelegatedChild, input: { item: '{{input.item}}' } },
    oauth: { requiredScopes: [BENCH_SCOPE] },
  };
  return [flat, child, { ...parent, nodes: [...(parent.nodes as unknown[]), delegate] }];
}
