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
  /** Groups it can be dropped with (the subject token it came from, the run it belongs to). */
  tags: readonly string[];
}

/**
 * In-memory cache of exchanged tokens, per worker process, keyed by `cacheKey()`. An entry is
 * served until `skewSeconds` before its token expires, so a token handed out always has at least
 * that long to live. Bounded with least-recently-used eviction.
 */
export class ExchangedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByTag = new Map<string, Set<string>>();
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
    if (now.getTime() >= entry.usableUntil) {
      this.untag(key, entry);
      return undefined;
    }
    // Re-inserting moves the entry to the end of the Map's order: most recently used.
    this.entries.set(key, entry);
    return entry.token;
  }

  /**
   * Stores `token` until `expiresAt − skewSeconds`; a token already inside that margin is not stored.
   * `tags` name groups that `dropTagged` removes together.
   */
  set(
    key: string,
    token: ExchangedToken,
    skewSeconds: number,
    now: Date = this.clock(),
    tags: readonly string[] = [],
  ): void {
    const usableUntil = token.expiresAt.getTime() - skewSeconds * 1000;
    this.delete(key);
    if (now.getTime() >= usableUntil) return;
    this.entries.set(key, { token, usableUntil, tags });
    for (const tag of tags) {
      let keys = this.keysByTag.get(tag);
      if (!keys) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    while (this.entries.size > this.maxEntries) this.delete(this.entries.keys().next().value as string);
  }

  /** Drops a token, e.g. after the downstream answered 401 with it. */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.untag(key, entry);
    return true;
  }

  /** Drops every token of a group (a revoked subject token, an ended run) and returns them. */
  dropTagged(tag: string): ExchangedToken[] {
    const keys = this.keysByTag.get(tag);
    if (!keys) return [];
    const dropped: ExchangedToken[] = [];
    for (const key of [...keys]) {
      const entry = this.entries.get(key);
      if (entry) dropped.push(entry.token);
      this.delete(key);
    }
    this.keysByTag.delete(tag);
    return dropped;
  }

  clear(): void {
    this.entries.clear();
    this.keysByTag.clear();
  }

  private untag(key: string, entry: Entry): void {
    for (const tag of entry.tags) {
      const keys = this.keysByTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysByTag.delete(tag);
    }
  }
}
