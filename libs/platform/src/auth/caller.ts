import type { ApiScopeKey } from '../config/config.schema.js';

/**
 * Who is calling the API (SPEC §2, §16): an identity — the (issuer, subject) pair — with the
 * scopes and expiry of the token it showed, and which of Baton's own API scopes it holds. The one
 * shape every service checks ownership and privileges against.
 */
export interface Caller {
  /** SPEC §12.1: the tenant of the token's issuer; everything the caller sees or touches is this tenant's. */
  readonly tenant: string;
  readonly issuer: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly expiresAt: Date;
  /** The token's `email` and `sid` claims: a run keeps them, for security events that name the user so (SPEC §10.3). */
  readonly email?: string;
  readonly sessionId?: string;
  /** Holds the scope configured under `api.scopes.<key>`. */
  may(key: ApiScopeKey): boolean;
}

/** Whether the caller is the user identified by (issuer, subject). */
export function isCaller(caller: Pick<Caller, 'issuer' | 'subject'>, issuer: string, subject: string): boolean {
  return caller.issuer === issuer && caller.subject === subject;
}
