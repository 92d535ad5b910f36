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
