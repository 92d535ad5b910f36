import type { ActorProfile } from '@baton/platform';
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import { readActorKey, type ActorKey } from './actor-key.js';

/** Actor tokens live this long (SPEC §9.3: `exp` ≤ 60 s after `iat`). */
export const ACTOR_TOKEN_LIFETIME_SECONDS = 60;

/** One delegating party of a sub-workflow chain (SPEC §11), nearest parent first. */
export interface ActorChainLink {
  sub: string;
  iss?: string;
}

/** The RFC 8693 `act` claim: who acts, and who that party acts for, nested. */
export interface ActClaim {
  sub: string;
  iss?: string;
  act?: ActClaim;
}

export interface ActorTokenRequest {
  /** The workflow's `agentId`, or `baton`. */
  subject: string;
  /** The authorization server's issuer. */
  audience: string;
  /** The parent runs' agents, nearest parent first; becomes the nested `act` (sub-workflows). */
  parentChain?: readonly ActorChainLink[];
}

/**
 * Signs the short-lived actor JWTs Baton presents as RFC 8693 `actor_token` (SPEC §9.3): header
 * `typ: JWT` and `kid`; `iss` the actor issuer, `sub` the agent, `aud` the authorization server,
 * `iat`, `exp` 60 s later, a fresh `jti`, and `act` when a parent chain is given. Retired keys are
 * only published (`publicKeys`), never used to sign.
 */
export class ActorTokenSigner {
  private constructor(
    readonly issuer: string,
    readonly tokenType: string,
    private readonly current: ActorKey,
    private readonly retired: readonly ActorKey[],
    private readonly now: () => Date,
  ) {}

  static async create(
    actor: ActorProfile,
    where: string,
    now: () => Date = () => new Date(),
  ): Promise<ActorTokenSigner> {
    const current = await readActorKey(actor.signingKey, `${where}.signingKeyEnv`);
    const retired = await Promise.all(
      actor.retiredKeys.map((key, i) => readActorKey(key, `${where}.retiredKeyEnvs.${i}`)),
    );
    return new ActorTokenSigner(actor.issuer, actor.tokenType, current, retired, now);
  }

  get kid(): string {
    return this.current.kid;
  }

  /** The current key and the retired ones, as JWKS entries. */
  publicKeys(): JWK[] {
    return [this.current, ...this.retired].map((key) => ({ ...key.publicJwk }));
  }

  async sign(request: ActorTokenRequest): Promise<string> {
    const iat = Math.floor(this.now().getTime() / 1000);
    const act = actClaimOf(request.parentChain ?? []);
    return new SignJWT(act ? { act } : {})
      .setProtectedHeader({ alg: this.current.alg, typ: 'JWT', kid: this.current.kid })
      .setIssuer(this.issuer)
      .setSubject(request.subject)
      .setAudience(request.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACTOR_TOKEN_LIFETIME_SECONDS)
      .setJti(randomUUID())
      .sign(this.current.privateKey);
  }
}

/** The nested `act` of a chain, outermost = nearest parent; undefined for an empty chain. */
export function actClaimOf(chain: readonly ActorChainLink[]): ActClaim | undefined {
  let act: ActClaim | undefined;
  for (const link of [...chain].reverse()) {
    const next: ActClaim = link.iss === undefined ? { sub: link.sub } : { sub: link.sub, iss: link.iss };
    if (act) next.act = act;
    act = next;
  }
  return act;
}
