/** A process's memory as its prom-client default metrics report it. */
export interface MemoryBreakdown {
  rssBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  /** Used bytes per V8 heap space (new, old, code, large objects…). */
  heapSpaces: Record<string, number>;
}

/** Reads the memory gauges out of a Prometheus text exposition (0 for a gauge that is missing); `app` labels are fine. */
export function memoryBreakdown(exposition: string): MemoryBreakdown {
  const values = new Map<string, number>();
  const heapSpaces: Record<string, number> = {};
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-z_]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, name, labels, raw] = match;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === 'nodejs_heap_space_size_used_bytes') {
      const space = /space="([^"]+)"/.exec(labels ?? '')?.[1];
      if (space) heapSpaces[space] = value;
    } else if (!labels || !labels.includes(',')) values.set(name!, value); // none, or only the app's default label
  }
  return {
    rssBytes: values.get('process_resident_memory_bytes') ?? 0,
    heapTotalBytes: values.get('nodejs_heap_size_total_bytes') ?? 0,
    heapUsedBytes: values.get('nodejs_heap_size_used_bytes') ?? 0,
    externalBytes: values.get('nodejs_external_memory_bytes') ?? 0,
    heapSpaces,
  };
}

/** A histogram's `_sum` and `_count` (no labels, or only the app's default label) in an exposition. */
export function histogramTotals(exposition: string, name: string): { sum: number; count: number } {
  const read = (suffix: string): number => {
    const line = exposition.split('\n').find((l) => new RegExp(`^${name}_${suffix}(\\{[^,}]*\\})?\\s`).test(l));
    const value = Number(line?.trim().split(/\s+/).at(-1));
    return Number.isFinite(value) ? value : 0;
  };
  return { sum: read('sum'), count: read('count') };
}

/** Mean of the observations made between two readings of a histogram, ms (null when none were). */
export function meanMsBetween(
  before: { sum: number; count: number },
  after: { sum: number; count: number },
): number | null {
  const count = after.count - before.count;
  return count > 0 ? ((after.sum - before.sum) / count) * 1000 : null;
}
