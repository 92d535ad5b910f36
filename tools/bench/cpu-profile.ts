/** The parts of a V8 `.cpuprofile` (Profiler.stop) the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time of one component or function, in ms over the profiled interval. */
export interface ProfileShare {
  name: string;
  ms: number;
}

export interface ProfileSummary {
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  /** Self time per component (a package, a Baton lib, a Node subsystem, GC), largest first. */
  components: ProfileShare[];
  /** Self time per function (`name url:line`), largest first, the first `topFunctions`. */
  functions: ProfileShare[];
}

const IDLE = '(idle)';

/**
 * Which part of the process a frame belongs to, from its script URL: a package under node_modules
 * (scoped packages keep their scope), a Baton lib or app under dist/, a Node subsystem (`node:`
 * internals by their first directory), or V8's own pseudo-frames (GC, program).
 */
export function componentOf(functionName: string, url: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8 GC';
    if (functionName === '(program)') return 'V8 (program: compiler, runtime, native)';
    if (functionName === IDLE) return IDLE;
    return 'native (V8 builtins)';
  }
  if (url.startsWith('node:')) {
    const path = url.slice('node:'.length).replace(/^internal\//, '');
    return `node:${path.split('/')[0]}`;
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dist = /\/dist\/(libs|apps|tools)\/([^/]+)\//.exec(url);
  if (dist) return dist[1] === 'tools' ? `bench tools/${dist[2]}` : `baton ${dist[1]}/${dist[2]}`;
  return 'other';
}

/** Self time per component and per function, from the profile's samples and their time deltas. */
export function summarizeProfile(profile: CpuProfile, topFunctions = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    // Chrome's attribution: the time up to the next sample belongs to this sample's frame.
    for (let i = 0; i < samples.length; i++) {
      const us = i + 1 < deltas.length ? deltas[i + 1]! : 0;
      selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, us));
    }
  } else {
    // No sample list: spread the interval over the hit counts.
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const perHit = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * perHit);
  }
  const components = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || us === 0) continue;
    const component = componentOf(frame.functionName, frame.url);
    if (component === IDLE) continue;
    busyUs += us;
    components.set(component, (components.get(component) ?? 0) + us);
    const file = frame.url ? frame.url.slice(frame.url.lastIndexOf('/') + 1) : '';
    const name = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const ranked = (map: Map<string, number>): ProfileShare[] =>
    [...map].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busyUs / 1000, components: ranked(components), functions: ranked(functions).slice(0, topFunctions) };
}
