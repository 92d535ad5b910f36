/**
 * Custom node handlers (`{"type": "handler", "handler": "crm.createLead"}`, SPEC §3) are registered
 * in the worker. Each receives the exchanged token (when the node has `oauth`) and its rendered
 * input through this typed context.
 */
export interface HandlerContext {
  runId: string;
  nodeId: string;
  attempt: number;
  /** `<runId>:<nodeId>`: pass it on to downstream calls so a repeated step is recognised. */
  idempotencyKey: string;
  /** The node's `input`, templates rendered. */
  input: unknown;
  /** The exchanged, audience-bound token; absent when the node has no `oauth`. */
  accessToken?: string;
  grantedScopes: string[] | null;
  user: { issuer: string; subject: string };
  /** Aborted when the node's `timeoutMs` elapses or the worker shuts down. */
  signal: AbortSignal;
}

export interface NodeHandler {
  /** The name workflow definitions use, e.g. `crm.createLead`. */
  readonly name: string;
  /** Returns the node's output (any JSON value). Throw `HandlerError` to control retries. */
  run(context: HandlerContext): Promise<unknown>;
}

/** A handler's failure; `retryable` ones go through the node's retry policy, others fail the node. */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** Injection token for the list of handlers the worker registers. */
export const NODE_HANDLERS = Symbol('NODE_HANDLERS');
