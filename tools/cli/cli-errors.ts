/** Exit codes of `baton` (SPEC §15). */
export const ExitCode = { Ok: 0, Refused: 1, Usage: 2, Unreachable: 3 } as const;

/** A command line that cannot be run as given (exit 2). */
export class UsageError extends Error {}

/** The API answered with a problem (exit 1): its title and detail are printed. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string } | undefined,
  ) {
    super(`${problem?.title ?? `HTTP ${status}`}${problem?.detail ? `: ${problem.detail}` : ''}`);
  }
}

/** The API could not be reached (exit 3). */
export class ApiUnreachable extends Error {}
