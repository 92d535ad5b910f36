/** A story step did not happen in time; the message says what the demo was waiting for. */
export class StepTimeout extends Error {
  constructor(description: string, timeoutMs: number, lastProblem?: string) {
    super(
      `timed out after ${timeoutMs / 1000} s waiting for ${description}${lastProblem ? ` (last problem: ${lastProblem})` : ''}`,
    );
  }
}

/** The story cannot go on (the run failed, a call answered something unexpected). */
export class StoryFailure extends Error {}

export const STEP_TIMEOUT_MS = 30_000;

/**
 * Calls `probe` every `intervalMs` until `done` holds for its result, and returns that result.
 * A probe that throws is retried (its message is kept for the timeout error), unless the error is
 * a StoryFailure, which ends the wait at once.
 */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = STEP_TIMEOUT_MS,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem: string | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (done(value)) return value;
      lastProblem = undefined;
    } catch (err) {
      if (err instanceof StoryFailure) throw err;
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new StepTimeout(description, timeoutMs, lastProblem);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
