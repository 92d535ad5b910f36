import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * Optional (`BENCH_CPU_PROFILE=1`): a V8 CPU profile of each measured phase, written next to the
 * JSON result as `bench-<phase>.cpuprofile` (open it in Chrome DevTools or speedscope). Profiling
 * slows the process down, so the figures of such a run are for finding hot spots, not for quoting.
 */
export class PhaseCpuProfiler {
  private session: Session | undefined;

  constructor(private readonly directory: string) {}

  async start(): Promise<void> {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.session.post('Profiler.start');
  }

  async stop(phase: string): Promise<string> {
    const session = this.session!;
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    this.session = undefined;
    const path = `${this.directory}/bench-${phase.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '')}.cpuprofile`;
    mkdirSync(this.directory, { recursive: true });
    writeFileSync(path, JSON.stringify(profile));
    return path;
  }
}
