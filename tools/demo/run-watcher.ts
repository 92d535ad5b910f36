import type { BatonApi, NodeView, RunView } from './baton-api.js';
import type { ProgressView } from './progress-view.js';
import { StoryFailure, waitFor, STEP_TIMEOUT_MS } from './step-waiter.js';

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/**
 * Follows one run through `GET /v1/runs/{id}` (as a caller allowed to read it), keeps the live
 * block of the view up to date, and lets the story wait for a state of the run.
 */
export class RunWatcher {
  private latest: RunView | undefined;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly api: BatonApi,
    private readonly token: string,
    readonly runId: string,
    private readonly view: ProgressView,
  ) {}

  /** Polls until `stop()`; errors are left to `until`, which sees stale state and times out. */
  start(): void {
    void (async () => {
      while (!this.stopped) {
        try {
          this.latest = await this.api.run(this.token, this.runId);
          if (!this.stopped) this.render(this.latest);
        } catch {
          // the next poll or the waiting step reports it
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }

  stop(): void {
    this.stopped = true;
    this.view.clearLive();
  }

  /**
   * Resolves with the run once `holds` is true for it. A run that ends (terminal) without meeting
   * the condition ends the story with what went wrong.
   */
  until(description: string, holds: (run: RunView) => boolean, timeoutMs = STEP_TIMEOUT_MS): Promise<RunView> {
    return waitFor(
      description,
      async () => {
        const run = await this.api.run(this.token, this.runId);
        if (!holds(run) && TERMINAL.includes(run.status))
          throw new StoryFailure(`the run ended ${run.status} before ${description}${failureOf(run)}`);
        return run;
      },
      holds,
      timeoutMs,
    );
  }

  private render(run: RunView): void {
    // The elapsed time only on a live (TTY) view: appended lines are printed when the state changes.
    const seconds = this.view.tty ? ` ${this.view.dim(`${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`)}` : '';
    const header = `run ${this.view.bold(run.id.slice(0, 8))} ${colourStatus(this.view, run.status)}${seconds}`;
    this.view.setLive(
      header,
      run.nodes.map((n) => nodeLine(this.view, n)),
    );
  }
}

export function node(run: RunView, id: string): NodeView {
  const found = run.nodes.find((n) => n.id === id);
  if (!found) throw new StoryFailure(`run ${run.id} has no node ${id}`);
  return found;
}

const SYMBOLS: Record<string, string> = {
  pending: '○',
  queued: '◌',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  waiting_for_human: '⏸',
  skipped: '–',
  cancelled: '✗',
};

function nodeLine(view: ProgressView, n: NodeView): string {
  const scopes = n.grantedScopes && n.grantedScopes.length > 0 ? ` [${n.grantedScopes.join(' ')}]` : '';
  return `${n.id} ${colourStatus(view, `${SYMBOLS[n.status] ?? '?'} ${n.status}`, n.status)}${view.dim(scopes)}`;
}

function colourStatus(view: ProgressView, text: string, status = text): string {
  if (status === 'succeeded') return view.green(text);
  if (status === 'failed' || status === 'cancelled') return view.red(text);
  if (status === 'waiting_for_human') return view.yellow(text);
  return text;
}

function failureOf(run: RunView): string {
  const failed = run.nodes.find((n) => n.status === 'failed');
  return failed
    ? ` (node ${failed.id}: ${failed.error?.code ?? 'error'}${failed.error?.message ? ` — ${failed.error.message}` : ''})`
    : '';
}
