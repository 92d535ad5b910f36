import type { LoggerService } from '@nestjs/common';

/** What every log line about a node attempt carries. */
export interface NodeLogBindings {
  runId: string;
  nodeId: string;
  attempt: number;
}

/**
 * A logger bound to one node attempt, like a pino child: every line it writes carries the run id,
 * the node id and the attempt, so no call site can forget them. `debug` lines cost nothing unless
 * the level is on (checked once, at boot).
 */
export class NodeLog {
  constructor(
    private readonly logger: LoggerService,
    readonly bindings: NodeLogBindings,
    private readonly debugEnabled: boolean,
  ) {}

  debug(message: string, fields: () => Record<string, unknown> = () => ({})): void {
    if (this.debugEnabled) this.logger.debug?.({ ...this.bindings, ...fields() }, message);
  }

  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.logger.warn({ ...this.bindings, ...fields }, message);
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.logger.error({ ...this.bindings, ...fields }, message);
  }
}

/** Whether a pino level name lets `debug` lines through. */
export function debugEnabled(level: string): boolean {
  return level === 'debug' || level === 'trace';
}
