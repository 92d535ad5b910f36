import { Injectable } from '@nestjs/common';
import {
  effectiveNodes,
  planSteps,
  type EffectiveNode,
  type StepPlan,
  type WorkflowDefinition,
} from '../domain/index.js';
import { WorkflowRepository } from './workflow.repository.js';

export interface CachedDefinition {
  tenant: string;
  name: string;
  version: number;
  agentId: string | null;
  definition: WorkflowDefinition;
  nodes: Map<string, EffectiveNode>;
  graph: EffectiveNode[];
  plan: StepPlan;
}

const MAX_ENTRIES = 1000;

/**
 * Workflow versions are immutable, so each process reads one at most once (bounded, oldest out),
 * with what the engine derives from it (effective nodes, successors, template references).
 * "Which version is latest" is cached too, optimistically: a run start names the version it
 * validated against, and the database refuses it when another was posted since (see RunStore.start).
 */
@Injectable()
export class DefinitionCache {
  private readonly entries = new Map<string, Promise<CachedDefinition | null>>();
  private readonly latestVersions = new Map<string, number>();

  constructor(private readonly workflows: WorkflowRepository) {}

  /** A stored version of the tenant's workflow `name`, or null when there is none. */
  get(tenant: string, name: string, version: number): Promise<CachedDefinition | null> {
    const key = `${tenant}/${name}@${version}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.load(tenant, name, version);
      // Misses and failures are not remembered: the version may be posted (or Postgres come back) later.
      entry.then(
        (found) => found ?? this.entries.delete(key),
        () => this.entries.delete(key),
      );
      this.entries.set(key, entry);
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }

  /** The version believed latest (from the database when not known, or when `refresh`). */
  async latest(tenant: string, name: string, refresh = false): Promise<CachedDefinition | null> {
    const key = `${tenant}/${name}`;
    let version = refresh ? undefined : this.latestVersions.get(key);
    if (version === undefined) {
      const found = await this.workflows.latestVersion(tenant, name);
      if (found === null) return null;
      version = found;
      this.latestVersions.set(key, version);
      if (this.latestVersions.size > MAX_ENTRIES) this.latestVersions.delete(this.latestVersions.keys().next().value!);
    }
    return this.get(tenant, name, version);
  }

  private async load(tenant: string, name: string, version: number): Promise<CachedDefinition | null> {
    const stored = await this.workflows.findVersion(tenant, name, version);
    if (!stored) return null;
    const definition = stored.definition as unknown as WorkflowDefinition;
    const graph = effectiveNodes(definition);
    return {
      tenant,
      name: stored.name,
      version: stored.version,
      agentId: stored.agentId,
      definition,
      graph,
      nodes: new Map(graph.map((n) => [n.id, n])),
      plan: planSteps(graph),
    };
  }
}
