/**
 * A Security Event Token that passed every check of SPEC §10.2, as the push receiver
 * (`POST /v1/ssf/events`) and the poller hand it on. Verification ends here; what the event does
 * (SPEC §10.3: de-duplication, matching runs, revoking, cut-offs, audit) is the sink's.
 */
export interface VerifiedSecurityEvent {
  /** The transmitter: the SET's `iss`, one of `sharedSignals.transmitters[].issuer`. */
  issuer: string;
  /** Whose users the events name: the transmitter's `subjectIssuer` (default: its `issuer`). */
  subjectIssuer: string;
  /** SPEC §12.1: the tenant whose `sharedSignals` names the transmitter; its events reach that tenant's runs only. */
  tenant: string;
  jti: string;
  /** The SET's `iat`, seconds since the epoch. */
  issuedAt: number;
  /** Each member of `events`, in order: its type URI and its object (RISC 1.0 senders put `subject` in it). */
  events: { type: string; claims: Record<string, unknown> }[];
  /** The SET's top-level `sub_id` (SSF 1.0) verbatim, when present; the sink reads the RISC 1.0 `subject` from `events`. */
  subId?: unknown;
  /** How it arrived, for metrics and logs. */
  delivery: 'push' | 'poll';
}

/** What accepting a SET did. */
export interface SecurityEventOutcome {
  /** The `(issuer, jti)` was seen before: accepted again, applied once. */
  duplicate: boolean;
  /** Non-terminal runs revoked by this SET (0 for a duplicate). */
  runsAffected: number;
  /** Runs were revoked or a cut-off was recorded. */
  applied: boolean;
}

/**
 * Where verified SETs go. Throws only when its dependencies are down (Postgres): the receiver then
 * answers 503 and the poller leaves the SET un-acknowledged so the transmitter sends it again.
 */
export abstract class SecurityEventSink {
  abstract accept(event: VerifiedSecurityEvent): Promise<SecurityEventOutcome>;
}
