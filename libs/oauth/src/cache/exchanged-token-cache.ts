/** A token obtained from an RFC 8693 exchange, as kept in memory (never persisted anywhere). */
export interface ExchangedToken {
  accessToken: string;
  expiresAt: Date;
  /** The scopes the authorization server granted. */
  scopes: string[];
  /** The token's `jti` when it is a JWT, for audit entries. */
  jti?: string;
  /** The actor `sub` presented in the exchange (SPEC §9.3), for audit entries. */
  actor?: string;
  /** The issued JWT's `act` claim, verbatim, for audit entries. */
  act?: unknown;
}

export interface ExchangedTokenCacheOptions {
  /** Beyond this many entries the least recently used one is dropped; default 10 000. */
  maxEntries?: number;
  /** Injected for tests. */
  clock?: () => Date;
}

interface Entry {
  token: ExchangedToken;
  /** When the entry stops being served: `expiresAt − skew`, in epoch ms. */
  usableUntil: number;
}

/**
 * In-memory cache of exchanged tokens, per worker process, keyed by `cacheKey()`. An entry is
 * served until `skewSeconds` before its token expires, so a token handed out always has at least
 * that long to live. Bounded with least-recently-used eviction.
 */
export class ExchangedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly clock: () => Date;

  constructor(options: ExchangedTokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!(Number.isInteger(this.maxEntries) && this.maxEntries > 0))
      throw new RangeError('maxEntries must be a positive integer');
    this.clock = options.clock ?? (() => new Date());
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: Date = this.clock()): ExchangedToken | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (now.getTime() >= entry.usableUntil) return undefined;
    // Re-inserting moves the entry to the end of the Map's order: most recently used.
    this.entries.set(key, entry);
    return entry.token;
  }

  /** Stores `token` until `expiresAt − skewSeconds`; a token already inside that margin is not stored. */
  set(key: string, token: ExchangedToken, skewSeconds: number, now: Date = this.clock()): void {
    const usableUntil = token.expiresAt.getTime() - skewSeconds * 1000;
    this.entries.delete(key);
    if (now.getTime() >= usableUntil) return;
    this.entries.set(key, { token, usableUntil });
    while (this.entries.size > this.maxEntries) {
      const leastRecentlyUsed = this.entries.keys().next().value as string;
      this.entries.delete(leastRecentlyUsed);
    }
  }

  /** Drops a token, e.g. after the downstream answered 401 with it. */
  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
