import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process with the default Node metrics. Each app adds its own instruments;
 * label values come from closed vocabularies (operation, outcome), never from user input.
 */
export function createMetricsRegistry(app: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  // The standard Node.js names (what Node dashboards expect), without the three gauges prom-client
  // names `*_total` (promtool refuses `_total` on anything but a counter); `nodejs_active_handles`,
  // `nodejs_active_requests` and `nodejs_active_resources` (by type) carry the same counts.
  collectDefaultMetrics({ register: registry });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);
  return registry;
}

export { Counter, Gauge, Histogram, Registry };
