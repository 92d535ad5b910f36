/**
 * Fault injection for integration tests of OAuth clients (dev mode only): make the token endpoint
 * fail a number of times, or make token exchanges widen the scope they were asked for (an
 * authorization server misbehaving in a way a careful client must detect).
 */

export interface TokenEndpointFault {
  /** HTTP status to answer with, e.g. 503 or 429. */
  status: number;
  /** How many of the next token endpoint requests get this answer. */
  times: number;
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number;
  /** JSON body; a fitting OAuth error object when absent. */
  body?: Record<string, unknown>;
}

/** The next `times` token endpoint requests are answered normally, but only after `delayMs`. */
export interface SlowTokenEndpoint {
  delayMs: number;
  times: number;
}

export interface FaultsState {
  tokenEndpoint: TokenEndpointFault | null;
  widenScope: string | null;
  /** A scope every exchange leaves out of what it issues (a server granting less than asked). */
  dropScope: string | null;
  slowTokenEndpoint: SlowTokenEndpoint | null;
}

/** What a faulted token endpoint request is answered with. */
export interface InjectedResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export class Faults {
  private tokenEndpoint: TokenEndpointFault | null = null;
  private widen: string | null = null;
  private drop: string | null = null;
  private slow: SlowTokenEndpoint | null = null;

  /** Applies the given changes: absent fields stay as they are, `null` clears one. */
  update(changes: Partial<FaultsState>): void {
    if (changes.tokenEndpoint !== undefined) this.tokenEndpoint = changes.tokenEndpoint && { ...changes.tokenEndpoint };
    if (changes.widenScope !== undefined) this.widen = changes.widenScope;
    if (changes.dropScope !== undefined) this.drop = changes.dropScope;
    if (changes.slowTokenEndpoint !== undefined)
      this.slow = changes.slowTokenEndpoint && { ...changes.slowTokenEndpoint };
  }

  clear(): void {
    this.tokenEndpoint = null;
    this.widen = null;
    this.drop = null;
    this.slow = null;
  }

  state(): FaultsState {
    return {
      tokenEndpoint: this.tokenEndpoint && { ...this.tokenEndpoint },
      widenScope: this.widen,
      dropScope: this.drop,
      slowTokenEndpoint: this.slow && { ...this.slow },
    };
  }

  /** The extra scope exchanges must add, if any. */
  get widenScope(): string | null {
    return this.widen;
  }

  /** The scope exchanges must leave out, if any. */
  get dropScope(): string | null {
    return this.drop;
  }

  /** Consumes one injected delay: how long to hold the next token endpoint request (0: none). */
  takeTokenEndpointDelay(): number {
    const slow = this.slow;
    if (!slow || slow.times <= 0) return 0;
    slow.times -= 1;
    if (slow.times === 0) this.slow = null;
    return slow.delayMs;
  }

  /**
   * Consumes one injected token endpoint failure. Returns the response to send instead of
   * processing the request, or undefined when no failure is pending.
   */
  takeTokenEndpointFault(): InjectedResponse | undefined {
    const fault = this.tokenEndpoint;
    if (!fault || fault.times <= 0) return undefined;
    fault.times -= 1;
    if (fault.times === 0) this.tokenEndpoint = null;
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
    return { status: fault.status, headers, body: fault.body ?? defaultErrorBody(fault.status) };
  }
}

function defaultErrorBody(status: number): Record<string, unknown> {
  const error = status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
  return { error, error_description: `injected fault (HTTP ${status})` };
}
