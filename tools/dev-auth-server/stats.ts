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
  /** The scope put in the issued token (differs from `scope` only under the `widenScope` and `dropScope` faults). */
  issuedScope: string;
  audience: string[];
  resource: string[];
  /** `jti` of the issued token, to correlate with what a client recorded. */
  jti: string;
  /** ISO 8601 time of the exchange. */
  at: string;
}

/** A token revoked at the revocation endpoint (RFC 7009). Never holds the token. */
export interface RevocationRecord {
  /** `jti` of the revoked token. */
  jti: string;
  /** The client that revoked it (always the one it was issued to). */
  clientId: string;
  /** The revoked token's `sub`. */
  sub: string;
  at: string;
}

export interface StatsSnapshot {
  /** Every request that reached the token endpoint, faulted ones included. */
  tokenRequests: number;
  exchanges: ExchangeRecord[];
  revocations: RevocationRecord[];
}

export class Stats {
  private tokenRequests = 0;
  private exchanges: ExchangeRecord[] = [];
  private revocations: RevocationRecord[] = [];

  countTokenRequest(): void {
    this.tokenRequests += 1;
  }

  recordExchange(record: ExchangeRecord): void {
    this.exchanges.push(record);
  }

  recordRevocation(record: RevocationRecord): void {
    this.revocations.push(record);
  }

  snapshot(): StatsSnapshot {
    return {
      tokenRequests: this.tokenRequests,
      exchanges: this.exchanges.map((e) => ({ ...e })),
      revocations: this.revocations.map((r) => ({ ...r })),
    };
  }

  reset(): void {
    this.tokenRequests = 0;
    this.exchanges = [];
    this.revocations = [];
  }
}
