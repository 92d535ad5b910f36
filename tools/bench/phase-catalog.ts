import type { PhaseSpec } from './phase-runner.js';
import { NODES_PER_RUN, Workflow } from './workload.js';

/** The user tokens the phases use, minted up front. */
export interface PhaseTokens {
  /** One user, whose exchanged tokens the warm-up already put in the worker's cache. */
  warm: string;
  /** One user per run, for `cold`. */
  cold: string[];
  /** One user per run, for `cold-every-node`. */
  coldEveryNode: string[];
}

/** The measured phases by key (`BENCH_PHASES` names them). */
export function phaseCatalog(runs: number, tokens: PhaseTokens): Record<string, Omit<PhaseSpec, 'tag'>> {
  return {
    warm: {
      name: 'warm',
      description: `${runs} runs of one user whose exchanged token is already cached: no exchange at all`,
      workflow: Workflow.SameAudience,
      tokens: [tokens.warm],
      runs,
    },
    cold: {
      name: 'cold (first node)',
      description: `${runs} users, one run each: the first node of a run exchanges, the other ${NODES_PER_RUN - 1} (same audience and scopes) hit the cache`,
      workflow: Workflow.SameAudience,
      tokens: tokens.cold,
      runs,
    },
    'cold-every-node': {
      name: 'cold (every node)',
      description: `${runs} users, one run each, a distinct audience per node: every node exchanges`,
      workflow: Workflow.DistinctAudiences,
      tokens: tokens.coldEveryNode,
      runs,
    },
  };
}

/** The phases to run, in order, each with a tag of its own (a phase may be listed twice). */
export function selectPhases(keys: readonly string[], catalog: Record<string, Omit<PhaseSpec, 'tag'>>): PhaseSpec[] {
  return keys.map((key, i) => {
    const spec = catalog[key];
    if (!spec) throw new Error(`BENCH_PHASES: unknown phase ${key} (known: ${Object.keys(catalog).join(', ')})`);
    return { ...spec, tag: `${i + 1}-${key}` };
  });
}
