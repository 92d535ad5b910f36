import { NodeProcessor } from '../../apps/worker/src/processors/node.processor.js';
import type { BenchStack } from './bench-stack.js';
import type { BenchOptions } from './bench-options.js';

/**
 * Changes the running worker to measure what a setting is worth, without editing the engine: the
 * worker's pool size (pg-pool reads `options.max` whenever it needs a connection) and the node
 * processor's concurrency (BullMQ's `Worker.concurrency` setter). Returns what was changed.
 */
export function applyExperiments(stack: BenchStack, experiment: BenchOptions['experiment']): string[] {
  const applied: string[] = [];
  if (experiment.workerPoolMax !== undefined) {
    const pool = stack.pools.worker.pool as unknown as { options: { max: number } };
    applied.push(`worker pool max ${pool.options.max} → ${experiment.workerPoolMax}`);
    pool.options.max = experiment.workerPoolMax;
    stack.pools.worker.size = experiment.workerPoolMax;
  }
  if (experiment.nodeConcurrency !== undefined) {
    const worker = stack.worker.get(NodeProcessor, { strict: false }).worker;
    applied.push(`node concurrency ${worker.concurrency} → ${experiment.nodeConcurrency}`);
    worker.concurrency = experiment.nodeConcurrency;
  }
  return applied;
}
