/**
 * A value read from Postgres or Redis for a scrape, kept for `ttlMs` so scrapes never hammer the
 * store: at most one read in flight, and a scrape waits for it at most `waitMs`, then answers with
 * the last value it had (a slow store delays no scrape by more than that).
 */
export class ScrapeCache<T> {
  private value: T;
  private readAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly read: () => Promise<T>,
    initial: T,
    private readonly options: { ttlMs: number; waitMs: number; now?: () => number },
  ) {
    this.value = initial;
  }

  async get(): Promise<T> {
    const now = this.options.now ?? Date.now;
    if (now() - this.readAt < this.options.ttlMs) return this.value;
    this.inFlight ??= this.read()
      .then((value) => {
        this.value = value;
        this.readAt = now();
      })
      .catch(() => {
        // The store is down: keep the last value; the next scrape tries again.
      })
      .finally(() => (this.inFlight = null));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.inFlight, new Promise((done) => (timer = setTimeout(done, this.options.waitMs)))]);
    clearTimeout(timer);
    return this.value;
  }
}
