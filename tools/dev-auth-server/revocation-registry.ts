/**
 * Which issued tokens have been revoked by subject.
 *
 * Every token this server mints (admin "user tokens" and exchanged tokens) is recorded by `jti`.
 * Revoking a subject revokes exactly the tokens recorded for it so far; a token minted for the same
 * subject afterwards is unaffected (a user who signs in again after a revocation gets a working
 * token). Working by `jti` rather than comparing `iat` with a revocation time avoids the 1-second
 * granularity of `iat`, which would make "revoke, then mint" in the same second ambiguous.
 */
export class RevocationRegistry {
  /** jti → expiry (epoch seconds) of tokens not revoked, grouped by subject. */
  private readonly liveBySubject = new Map<string, Map<string, number>>();
  /** jti → expiry (epoch seconds) of revoked tokens. */
  private readonly revoked = new Map<string, number>();

  recordIssued(sub: string, jti: string, exp: number): void {
    let live = this.liveBySubject.get(sub);
    if (!live) {
      live = new Map();
      this.liveBySubject.set(sub, live);
    }
    live.set(jti, exp);
  }

  /** Revokes every token recorded for `sub` up to now; returns how many were revoked. */
  revokeSubject(sub: string): number {
    const live = this.liveBySubject.get(sub);
    this.liveBySubject.delete(sub);
    this.pruneExpired();
    if (!live) return 0;
    for (const [jti, exp] of live) this.revoked.set(jti, exp);
    return live.size;
  }

  /** Revokes one token by `jti` (RFC 7009 at the revocation endpoint). */
  revokeToken(jti: string, exp: number): void {
    this.revoked.set(jti, exp);
    this.pruneExpired();
  }

  isRevoked(jti: string | undefined): boolean {
    return jti !== undefined && this.revoked.has(jti);
  }

  /** Expired tokens are refused anyway, so their revocation entries can go (keeps memory bounded). */
  private pruneExpired(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [jti, exp] of this.revoked) if (exp < now) this.revoked.delete(jti);
  }
}
