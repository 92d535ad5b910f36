/**
 * The domain's closed vocabularies (SPEC §4–§6). Each fact lives here once; persistence, API and
 * worker code import these rather than repeating string literals.
 */

/** Audit trail operations (SPEC §6). */
export const AuditOperation = {
  RunStarted: 'run.started',
  RunSucceeded: 'run.succeeded',
  RunFailed: 'run.failed',
  RunCancelled: 'run.cancelled',
  NodeStarted: 'node.started',
  NodeSucceeded: 'node.succeeded',
  NodeFailed: 'node.failed',
  ScopeNarrowed: 'scope.narrowed',
  TokenExchanged: 'token.exchanged',
  TokenUsed: 'token.used',
  TokenExpired: 'token.expired',
  TokenRevoked: 'token.revoked',
  EscalationCreated: 'escalation.created',
  EscalationResolved: 'escalation.resolved',
  EscalationExpired: 'escalation.expired',
  /** SPEC §12.3: a workflow version was stored (runId null; details: version, scopeChanges). */
  WorkflowVersionCreated: 'workflow.version_created',
  /** SPEC §12.2: a preflight of a workflow (runId null; details: version, ready, verdicts). */
  WorkflowPreflight: 'workflow.preflight',
  /** SPEC §10.3: a Security Event Token accepted (runId null; issuer the transmitter). */
  SecurityEventReceived: 'security_event.received',
  /** SPEC §10.3: one run revoked by a security event (details: eventType, jti). */
  SecurityEventApplied: 'security_event.applied',
  /** SPEC §10.4: an exchanged token revoked at its authorization server after its run ended. */
  TokenReleased: 'token.released',
} as const;
export type AuditOperation = (typeof AuditOperation)[keyof typeof AuditOperation];
export const AUDIT_OPERATIONS: readonly AuditOperation[] = Object.values(AuditOperation);

/** Why a node waits for a human (SPEC §5). */
export const EscalationReason = {
  TokenExpired: 'token_expired',
  TokenRevoked: 'token_revoked',
  InsufficientScope: 'insufficient_scope',
  ConsentRequired: 'consent_required',
  ApprovalRequired: 'approval_required',
} as const;
export type EscalationReason = (typeof EscalationReason)[keyof typeof EscalationReason];
export const ESCALATION_REASONS: readonly EscalationReason[] = Object.values(EscalationReason);

export const EscalationStatus = {
  Open: 'open',
  Resolved: 'resolved',
  Expired: 'expired',
} as const;
export type EscalationStatus = (typeof EscalationStatus)[keyof typeof EscalationStatus];
export const ESCALATION_STATUSES: readonly EscalationStatus[] = Object.values(EscalationStatus);

export const EscalationAction = {
  Resume: 'resume',
  Retry: 'retry',
  Approve: 'approve',
  Reject: 'reject',
  Abort: 'abort',
} as const;
export type EscalationAction = (typeof EscalationAction)[keyof typeof EscalationAction];
export const ESCALATION_ACTIONS: readonly EscalationAction[] = Object.values(EscalationAction);

const TOKEN_PROBLEM_ACTIONS = [EscalationAction.Resume, EscalationAction.Retry, EscalationAction.Abort] as const;

/** Which resolve actions fit which reason (SPEC §5 table); anything else answers 422. */
export const ACTIONS_FOR_REASON: Readonly<Record<EscalationReason, readonly EscalationAction[]>> = {
  [EscalationReason.TokenExpired]: TOKEN_PROBLEM_ACTIONS,
  [EscalationReason.TokenRevoked]: TOKEN_PROBLEM_ACTIONS,
  [EscalationReason.InsufficientScope]: TOKEN_PROBLEM_ACTIONS,
  [EscalationReason.ConsentRequired]: TOKEN_PROBLEM_ACTIONS,
  [EscalationReason.ApprovalRequired]: [EscalationAction.Approve, EscalationAction.Reject, EscalationAction.Abort],
};

export function isActionAllowedForReason(reason: EscalationReason, action: EscalationAction): boolean {
  return ACTIONS_FOR_REASON[reason].includes(action);
}

/** The `error.code` recorded on a failed node. */
export const NodeErrorCode = {
  /** A template referred to a missing value or was malformed; never retried. */
  TemplateError: 'template_error',
  /** The authorization server returned a scope that was not requested; the token was discarded. */
  ScopeEscalation: 'scope_escalation',
  /** Downstream answered a non-retryable 4xx, or 5xx/429 until retries ran out. */
  HttpError: 'http_error',
  /** The node's `timeoutMs` elapsed on every attempt. */
  Timeout: 'timeout',
  /** The downstream service could not be reached on any attempt. */
  NetworkError: 'network_error',
  /** The token exchange kept failing transiently (network, 5xx, 429) until retries ran out, or failed in a way no human can fix. */
  ExchangeFailed: 'exchange_failed',
  /** The authorization server refused this client the exchange for a configuration reason (SPEC §9.1 keycloak `access_denied`); never retried. */
  ExchangeRefused: 'exchange_refused',
  /** A custom handler threw. */
  HandlerError: 'handler_error',
  /** No handler of that name is registered in the worker that ran the node. */
  UnknownHandler: 'unknown_handler',
  /** The escalation on the node expired before anyone resolved it. */
  EscalationExpired: 'escalation_expired',
  /** A human rejected the approval. */
  Rejected: 'rejected',
  /** A human aborted the run from an escalation. */
  Aborted: 'aborted',
  /** Every worker that took the node's job died with it (the job used up its stalled budget): a poison node. */
  WorkerCrashed: 'worker_crashed',
  /** Anything unexpected; details stay in the logs. */
  InternalError: 'internal_error',
  /** Issue 10: the URL's host/port is no longer in `http.allowedHosts` at call time; never retried. */
  DestinationNotAllowed: 'destination_not_allowed',
  /** Issue 10: the host resolved to a loopback, link-local, private or unspecified address not listed literally. */
  PrivateAddress: 'private_address',
  /** SPEC §16: the URL's origin is not bound to the node's audience in `http.audienceOrigins`. */
  AudienceNotBound: 'audience_not_bound',
  /** SPEC §11: a child workflow's node requires a scope outside the workflow node's ceiling; never retried. */
  DelegationExceeded: 'delegation_exceeded',
  /** SPEC §11: the run is already at `maxDelegationDepth` and cannot start a child. */
  DelegationDepthExceeded: 'delegation_depth_exceeded',
  /** SPEC §11: the child run failed or was cancelled on its own; never retried. */
  ChildRunFailed: 'child_run_failed',
} as const;
export type NodeErrorCode = (typeof NodeErrorCode)[keyof typeof NodeErrorCode];
