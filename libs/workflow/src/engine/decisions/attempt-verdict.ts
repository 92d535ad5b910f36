import type { EscalationReason } from '../../domain/index.js';
import type { NodeError } from '../node-outcome.js';

/** How an attempt ends when it does not succeed: what the decision tables below answer. */
export type AttemptVerdict =
  | { kind: 'escalate'; reason: EscalationReason; detail: string }
  | { kind: 'fail'; error: NodeError }
  /** Transient: again after backoff (at least `retryAfterMs`) while attempts remain, else failed. */
  | { kind: 'retry'; error: NodeError; retryAfterMs?: number };

/** An audit record a decision asks for (the attempt adds node, scopes and target). */
export interface DecidedAudit {
  operation: string;
  success: boolean;
  error?: string;
  details?: Record<string, unknown>;
}
