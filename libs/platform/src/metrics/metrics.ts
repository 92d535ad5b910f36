import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process with the default Node metrics. Each app adds its own instruments;
 * label values come from closed vocabularies (operation, outcome), never from user input.
 */
export function createMetricsRegistry(app: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: 'baton_' });
  return registry;
}

export { Counter, Histogram, Registry };
