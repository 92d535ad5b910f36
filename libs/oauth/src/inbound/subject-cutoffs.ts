import type { JWTPayload } from 'jose';

/** Inbound tokens of a subject issued before `notBefore` are refused until `expiresAt` (SPEC §10.3). */
export interface SubjectCutoff {
  issuer: string;
  kind: 'sub' | 'email';
  /** The `sub`, or the lower-cased `email`. */
  value: string;
  /** Only tokens carrying this `sid`; empty or absent for every session of the subject. */
  sid?: string;
  notBefore: Date;
  expiresAt: Date;
}

/**
 * The cut-offs this process knows, in memory, looked up on every inbound token (a Map lookup or
 * two). Whoever learns of one (the process that accepted the SET, or a broadcast from another
 * replica, or a reload from Postgres) adds it; the latest `notBefore` for a key wins.
 */
export class SubjectCutoffs {
  private readonly byKey = new Map<string, { notBefore: number; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.byKey.size;
  }

  add(cutoff: SubjectCutoff): void {
    const key = keyOf(cutoff.issuer, cutoff.kind, cutoff.value, cutoff.sid ?? '');
    const known = this.byKey.get(key);
    this.byKey.set(key, {
      notBefore: Math.max(known?.notBefore ?? -Infinity, cutoff.notBefore.getTime()),
      expiresAt: Math.max(known?.expiresAt ?? -Infinity, cutoff.expiresAt.getTime()),
    });
  }

  /** Why a verified token of `issuer` is cut off, or null. A token without `iat` is cut off too. */
  refusal(issuer: string, claims: JWTPayload): string | null {
    if (this.byKey.size === 0) return null;
    const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
    const candidates: [SubjectCutoff['kind'], string][] = [];
    if (typeof claims.sub === 'string') candidates.push(['sub', claims.sub]);
    if (typeof claims.email === 'string') candidates.push(['email', claims.email.toLowerCase()]);
    const now = this.now();
    for (const [kind, value] of candidates) {
      for (const session of sid === undefined ? [''] : ['', sid]) {
        const key = keyOf(issuer, kind, value, session);
        const cutoff = this.byKey.get(key);
        if (!cutoff) continue;
        if (cutoff.expiresAt <= now) {
          this.byKey.delete(key);
          continue;
        }
        const issuedAt = typeof claims.iat === 'number' ? claims.iat * 1000 : undefined;
        if (issuedAt === undefined || issuedAt < cutoff.notBefore)
          return 'the token was issued before a security event revoked the sessions of its subject';
      }
    }
    return null;
  }
}

function keyOf(issuer: string, kind: string, value: string, sid: string): string {
  return JSON.stringify([issuer, kind, value, sid]);
}
