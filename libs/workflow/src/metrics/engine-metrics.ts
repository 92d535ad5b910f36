import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from '@baton/platform';
import { exchangeErrorLabel, type TokenExchangeError } from '@baton/oauth';
import type { EscalationReason } from '../domain/index.js';

/** Seconds: a node is an exchange plus a downstream call, or a handler; approvals end at once. */
const NODE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const EXCHANGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A completion is one Postgres round trip: a millisecond or two alone, tens of ms on a saturated machine. */
const COMPLETION_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Queue wait spans a hop between chained steps (milliseconds) and a retry's backoff (minutes). */
const QUEUE_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The engine's Prometheus instruments, one set per process (the api and the worker each have their
 * own registry). Every label value comes from a closed vocabulary — node types, outcomes, statuses,
 * escalation reasons and actions, exchange error classes — or is the workflow name; never an id,
 * a user, a URL or a server-chosen string. Recording is in-memory only: no instrument costs a
 * round trip.
 */
@Injectable()
export class EngineMetrics {
  readonly runsStarted: Counter<'workflow'>;
  readonly runsFinished: Counter<'workflow' | 'status'>;
  readonly nodeSteps: Counter<'outcome'>;
  readonly nodeDuration: Histogram<'type' | 'outcome'>;
  readonly exchanges: Counter<'result' | 'cached'>;
  readonly exchangeDuration: Histogram<'result'>;
  readonly exchangeFailures: Counter<'class' | 'error'>;
  readonly escalationsOpened: Counter<'reason'>;
  readonly escalationsResolved: Counter<'reason' | 'action'>;
  readonly queueWait: Histogram<'queue'>;
  readonly securityEvents: Counter<'delivery' | 'result'>;
  readonly ssfPolls: Counter<'result'>;
  readonly ssfPollLastSuccess: Gauge<'transmitter'>;
  readonly nodeConcurrency: Gauge;
  readonly completionRoundTrip: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.securityEvents = new Counter({
      name: 'baton_security_events_total',
      help: 'Security Event Tokens received, by delivery (push, poll) and result (accepted, duplicate, an RFC 8935 err code, unavailable)',
      labelNames: ['delivery', 'result'],
      registers,
    });
    this.ssfPolls = new Counter({
      name: 'baton_ssf_polls_total',
      help: 'RFC 8936 poll requests to transmitters, by result (ok, error)',
      labelNames: ['result'],
      registers,
    });
    // Labelled by the transmitter's configured issuer: a short list set by the operator, not by callers.
    this.ssfPollLastSuccess = new Gauge({
      name: 'baton_ssf_poll_last_success_timestamp_seconds',
      help: 'When the last RFC 8936 poll of each transmitter answered (Unix seconds); poll lag = time() minus this',
      labelNames: ['transmitter'],
      registers,
    });
    this.runsStarted = new Counter({
      name: 'baton_runs_started_total',
      help: 'Runs started through the API, by workflow',
      labelNames: ['workflow'],
      registers,
    });
    this.runsFinished = new Counter({
      name: 'baton_runs_finished_total',
      help: 'Runs that reached succeeded, failed or cancelled, by workflow and status',
      labelNames: ['workflow', 'status'],
      registers,
    });
    this.nodeSteps = new Counter({
      name: 'baton_node_steps_total',
      help: 'Node attempts by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.nodeDuration = new Histogram({
      name: 'baton_node_duration_seconds',
      help: 'Time to execute one node attempt (exchange, downstream call or handler), by node type and outcome',
      labelNames: ['type', 'outcome'],
      buckets: NODE_BUCKETS,
      registers,
    });
    this.exchanges = new Counter({
      name: 'baton_token_exchanges_total',
      help: 'RFC 8693 exchanges by result, and whether served from the cache',
      labelNames: ['result', 'cached'],
      registers,
    });
    this.exchangeDuration = new Histogram({
      name: 'baton_token_exchange_duration_seconds',
      help: 'RFC 8693 exchanges sent to the authorization server (cache hits excluded), by result',
      labelNames: ['result'],
      buckets: EXCHANGE_BUCKETS,
      registers,
    });
    this.exchangeFailures = new Counter({
      name: 'baton_token_exchange_failures_total',
      help: 'Failed exchanges by class (revoked, consent_required, transient, fatal, ...) and OAuth error',
      labelNames: ['class', 'error'],
      registers,
    });
    this.escalationsOpened = new Counter({
      name: 'baton_escalations_opened_total',
      help: 'Escalations opened by reason',
      labelNames: ['reason'],
      registers,
    });
    this.escalationsResolved = new Counter({
      name: 'baton_escalations_resolved_total',
      help: 'Escalations resolved by a human (action) or expired (action="expire"), by reason',
      labelNames: ['reason', 'action'],
      registers,
    });
    this.completionRoundTrip = new Histogram({
      name: 'baton_node_completion_seconds',
      help: "Round trip of a step's completion: the one statement that records a succeeded node and claims the next",
      buckets: COMPLETION_BUCKETS,
      registers,
    });
    this.nodeConcurrency = new Gauge({
      name: 'baton_worker_node_concurrency',
      help: 'Node jobs this worker runs at once: adapted to the round trip of its step completions',
      registers,
    });
    this.queueWait = new Histogram({
      name: 'baton_queue_wait_seconds',
      help: 'Time a job waited in its BullMQ queue, from when it was due to when a worker took it',
      labelNames: ['queue'],
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });
  }

  exchangeFailed(error: TokenExchangeError): void {
    this.exchangeFailures.inc({ class: error.code, error: exchangeErrorLabel(error.oauthError) });
  }

  escalationResolved(reason: EscalationReason | string, action: string): void {
    this.escalationsResolved.inc({ reason, action });
  }
}
