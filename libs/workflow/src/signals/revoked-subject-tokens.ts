import { Injectable } from '@nestjs/common';

/** How long a revoked subject token is remembered: longer than any attempt that opened it can still run. */
const REMEMBER_MS = 15 * 60_000;
const MAX_ENTRIES = 100_000;

/**
 * The subject tokens a security event revoked (by `subjectTokenDigest`), as this process heard of
 * them. The stored copies are deleted in Postgres by the same event, so a new claim never sees them
 * again; this list stops an attempt that opened its token *before* the event from exchanging or
 * calling with it afterwards (SPEC §10.3: "from then on no exchange and no downstream call").
 */
@Injectable()
export class RevokedSubjectTokens {
  private readonly byDigest = new Map<string, { eventType: string; until: number }>();
  private readonly listeners: ((digests: readonly string[]) => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Records the revocation and tells every listener (the worker's exchanger drops its cached tokens). */
  revoke(digests: readonly string[], eventType: string): void {
    const until = this.now() + REMEMBER_MS;
    for (const digest of digests) {
      this.byDigest.delete(digest);
      this.byDigest.set(digest, { eventType, until });
    }
    while (this.byDigest.size > MAX_ENTRIES) this.byDigest.delete(this.byDigest.keys().next().value!);
    for (const listener of this.listeners) listener(digests);
  }

  /** The event type that revoked this subject token, or undefined when it stands. */
  revokedBy(digest: string): string | undefined {
    const entry = this.byDigest.get(digest);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.eventType;
    this.byDigest.delete(digest);
    return undefined;
  }

  onRevoked(listener: (digests: readonly string[]) => void): void {
    this.listeners.push(listener);
  }
}
