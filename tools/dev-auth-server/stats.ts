/** A successful token exchange, as the admin stats report it. Never holds a token. */
export interface ExchangeRecord {
  /** The subject token's `sub`. */
  sub: string;
  /** The client that performed the exchange. */
  clientId: string;
  /** The scope granted before any injected widening: the requested scope, or the subject's when none was requested. */
  scope: string;
  /** The `scope` parameter exactly as sent, or null when the client sent none. */
  requestedScope: string | null;
  /** The scope put in the issued token (differs from `scope` only under the `widenScope` fault). */
  issuedScope: string;
  audience: string[];
  resource: string[];
  /** `jti` of the issued token, to correlate with what a client recorded. */
  jti: string;
  /** ISO 8601 time of the exchange. */
  at: string;
}

export interface StatsSnapshot {
  /** Every request that reached the token endpoint, faulted ones included. */
  tokenRequests: number;
  exchanges: ExchangeRecord[];
}

export class Stats {
  private tokenRequests = 0;
  private exchanges: ExchangeRecord[] = [];

  countTokenRequest(): void {
    this.tokenRequests += 1;
  }

  recordExchange(record: ExchangeRecord): void {
    this.exchanges.push(record);
  }

  snapshot(): StatsSnapshot {
    return { tokenRequests: this.tokenRequests, exchanges: this.exchanges.map((e) => ({ ...e })) };
  }

  reset(): void {
    this.tokenRequests = 0;
    this.exchanges = [];
  }
}
