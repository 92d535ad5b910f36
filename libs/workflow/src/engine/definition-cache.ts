import { Injectable } from '@nestjs/common';
import { effectiveNodes, type EffectiveNode, type WorkflowDefinition } from '../domain/index.js';
import { WorkflowRepository } from '../definitions/workflow.repository.js';

export interface CachedDefinition {
  definition: WorkflowDefinition;
  nodes: Map<string, EffectiveNode>;
  graph: EffectiveNode[];
}

const MAX_ENTRIES = 1000;

/** Workflow versions are immutable, so each worker reads one at most once (bounded, oldest out). */
@Injectable()
export class DefinitionCache {
  private readonly entries = new Map<string, Promise<CachedDefinition>>();

  constructor(private readonly workflows: WorkflowRepository) {}

  get(name: string, version: number): Promise<CachedDefinition> {
    const key = `${name}@${version}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.load(name, version);
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }

  private async load(name: string, version: number): Promise<CachedDefinition> {
    const stored = await this.workflows.findVersion(name, version);
    if (!stored) throw new Error(`workflow ${name} version ${version} is missing`);
    const definition = stored.definition as unknown as WorkflowDefinition;
    const graph = effectiveNodes(definition);
    return { definition, graph, nodes: new Map(graph.map((n) => [n.id, n])) };
  }
}
