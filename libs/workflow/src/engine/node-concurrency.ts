import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig, type BatonConfig } from '@baton/platform';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import {
  DEFAULT_CONCURRENCY_LIMIT,
  nextConcurrencyLimit,
  type ConcurrencyLimitSettings,
} from './decisions/concurrency-limit.js';

/** A window is judged every 100 ms once it holds this many completions, else after 1 s. */
const TICK_MS = 100;
const WINDOW_SAMPLES = 5;
const WINDOW_MAX_MS = 1000;
/** Enough for any rate one worker reaches; more samples in one window tell nothing new. */
const MAX_SAMPLES = 2000;

/**
 * The worker's node-job concurrency, adapted every window to its completion round trips
 * (decisions/concurrency-limit.ts). NodeRunner records each completion's round trip; the node
 * processor attaches its BullMQ worker, whose `concurrency` this sets (BullMQ reads it before each
 * fetch; chains already running finish, so a lower limit takes effect as they end).
 */
@Injectable()
export class NodeConcurrency implements OnModuleDestroy {
  private readonly settings: ConcurrencyLimitSettings;
  private limit: number;
  private samples: number[] = [];
  private windowStart = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private apply: ((limit: number) => void) | null = null;
  private active = 0;
  /** The limit was reached at some point of the current window. */
  private saturated = false;

  constructor(
    private readonly metrics: EngineMetrics,
    @InjectConfig() config: BatonConfig,
  ) {
    const { min, max, targetCompletionMs } = config.worker.nodeConcurrency;
    this.settings = { min, max, targetMs: targetCompletionMs, smoothing: DEFAULT_CONCURRENCY_LIMIT.smoothing };
    this.limit = min;
  }

  /** Starts adapting; `apply` receives each new whole limit. Returns the limit to start with. */
  attach(apply: (limit: number) => void): number {
    this.apply = apply;
    this.timer ??= setInterval(() => this.tick(), TICK_MS).unref();
    this.metrics.nodeConcurrency.set(this.current());
    return this.current();
  }

  /** A node job started (NodeRunner.run): counted against the limit. */
  jobStarted(): void {
    this.active++;
    if (this.active >= this.current()) this.saturated = true;
  }

  jobEnded(): void {
    this.active--;
  }

  /** One completion's round trip, ms: from handing the step's result over to the next claim in hand. */
  record(ms: number): void {
    if (this.apply && this.samples.length < MAX_SAMPLES) this.samples.push(ms);
  }

  current(): number {
    return Math.round(this.limit);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const age = performance.now() - this.windowStart;
    // A window closes with enough completions, or after a second (saturated or with any completion).
    if (this.samples.length < WINDOW_SAMPLES && !(age >= WINDOW_MAX_MS && (this.samples.length > 0 || this.saturated)))
      return;
    const before = this.current();
    this.limit = nextConcurrencyLimit(this.limit, { samples: this.samples, saturated: this.saturated }, this.settings);
    this.samples = [];
    this.saturated = this.active >= this.current();
    this.windowStart = performance.now();
    if (this.current() !== before) {
      this.apply?.(this.current());
      this.metrics.nodeConcurrency.set(this.current());
    }
  }
}
