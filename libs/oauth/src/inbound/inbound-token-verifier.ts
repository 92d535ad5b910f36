import { createHash } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
} from 'jose';
import { scopesFromClaims } from '../scopes/parse-scopes.js';
import { InboundTokenError } from './inbound-token-error.js';
import { IssuerKeySets, type TrustedIssuer } from './issuer-key-sets.js';
import { looksLikeJwt, TokenIntrospector } from './token-introspector.js';
import type { SubjectCutoffs } from './subject-cutoffs.js';

/** Asymmetric JWS algorithms only: `none` and HMAC (HS*) are never accepted (SPEC §2). */
export const INBOUND_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** SPEC §2 allows at most this much leeway on `exp` and `nbf`. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;

export interface InboundTokenVerifierOptions {
  /** Every accepted token's `aud` must contain this value. */
  audience: string;
  trustedIssuers: TrustedIssuer[];
  /** Leeway on `exp` and `nbf`; 0–60, default 60. */
  clockToleranceSeconds?: number;
  /** Minimum time between JWKS refetches caused by unknown `kid`s; default 30 s (jose's). */
  jwksCooldownMs?: number;
  /** Limit for each discovery and JWKS request; default 5000. */
  httpTimeoutMs?: number;
  /**
   * Baton's own exchange clients (issue 10 item 1): a token whose `client_id`/`azp` is one of them
   * was obtained by Baton for a downstream service, and one whose `act.sub` is one of them was
   * delegated to Baton; neither is a key to Baton itself.
   */
  refusedClientIds?: readonly string[];
  /** Backoff after a failed discovery or JWKS fetch; default 1 s doubling to 30 s. */
  issuerBackoff?: { initialMs: number; maxMs: number };
  /** How long a verified JWT is remembered (0–60 s, never past its `exp`); default 60. */
  verifiedCacheSeconds?: number;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
  /** SPEC §10.3: tokens of subjects cut off by a security event are refused, cached or not. */
  cutoffs?: SubjectCutoffs;
}

/** At most this many verified tokens are remembered; the oldest go first. */
const VERIFIED_CACHE_ENTRIES = 10_000;

/** A caller whose token passed every check. Its identity is `(issuer, subject)`. */
export interface VerifiedPrincipal {
  issuer: string;
  subject: string;
  scopes: string[];
  expiresAt: Date;
  claims: JWTPayload;
}

/**
 * Verifies inbound user access tokens (JWTs, RFC 9068 where the issuer follows it) against the
 * keys of a configured set of trusted issuers. Throws `InboundTokenError`: `invalid_token` for
 * anything wrong with the token, `issuer_unavailable` when its issuer could not be reached.
 */
export class InboundTokenVerifier {
  private readonly trustedIssuers: ReadonlyMap<string, TrustedIssuer>;
  private readonly keySets: IssuerKeySets;
  private readonly verifyOptions: Omit<JWTVerifyOptions, 'issuer'>;
  private readonly introspector: TokenIntrospector;
  private readonly refusedClientIds: ReadonlySet<string>;
  /**
   * Verified JWTs by their SHA-256: a service starting many runs with one token pays the signature
   * check (about half a millisecond of RSA) once a minute, not per request. Keyed by a digest so the
   * process never holds more tokens than the requests in flight; only tokens naming their `kid`,
   * and only while the issuer's current key set still holds that key.
   */
  private readonly verified = new Map<string, { principal: VerifiedPrincipal; kid: string; until: number }>();
  private readonly verifiedCacheMs: number;
  private readonly now: () => number;
  private readonly cutoffs?: SubjectCutoffs;

  constructor(options: InboundTokenVerifierOptions) {
    const clockTolerance = options.clockToleranceSeconds ?? MAX_CLOCK_TOLERANCE_SECONDS;
    if (!(clockTolerance >= 0 && clockTolerance <= MAX_CLOCK_TOLERANCE_SECONDS)) {
      throw new RangeError(`clockToleranceSeconds must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS}`);
    }
    if (!options.audience) throw new TypeError('audience must be a non-empty string');
    const cacheSeconds = options.verifiedCacheSeconds ?? 60;
    if (!(cacheSeconds >= 0 && cacheSeconds <= 60))
      throw new RangeError('verifiedCacheSeconds must be between 0 and 60');
    this.verifiedCacheMs = cacheSeconds * 1000;
    this.now = options.now ?? Date.now;
    this.cutoffs = options.cutoffs;
    const httpTimeoutMs = Math.ceil(options.httpTimeoutMs ?? 5000);
    if (!(httpTimeoutMs > 0)) throw new RangeError('httpTimeoutMs must be positive');

    this.trustedIssuers = new Map(options.trustedIssuers.map((trusted) => [trusted.issuer, trusted]));
    this.keySets = new IssuerKeySets({
      httpTimeoutMs,
      jwksCooldownMs: options.jwksCooldownMs,
      backoff: options.issuerBackoff,
    });
    this.refusedClientIds = new Set(options.refusedClientIds ?? []);
    this.introspector = new TokenIntrospector({
      issuers: options.trustedIssuers.flatMap((t) =>
        t.introspection ? [{ issuer: t.issuer, introspection: t.introspection }] : [],
      ),
      audience: options.audience,
      httpTimeoutMs,
    });
    this.verifyOptions = {
      audience: options.audience,
      algorithms: [...INBOUND_TOKEN_ALGORITHMS],
      requiredClaims: ['exp', 'sub'],
      clockTolerance,
    };
  }

  async verify(token: string): Promise<VerifiedPrincipal> {
    const principal = await this.verifyToken(token);
    const cutOff = this.cutoffs?.refusal(principal.issuer, principal.claims);
    if (cutOff) throw new InboundTokenError('invalid_token', cutOff);
    return principal;
  }

  private async verifyToken(token: string): Promise<VerifiedPrincipal> {
    // SPEC §9.2: a token that is not a JWT is introspected at the issuers that allow it.
    if (this.introspector.enabled && !looksLikeJwt(token)) {
      const principal = await this.introspector.introspect(token);
      // The answer's client_id / act are the token's own claims (RFC 7662 §2.2): same refusal as a JWT.
      const refusal = bakedForBaton(principal.claims, this.refusedClientIds);
      if (refusal) throw new InboundTokenError('invalid_token', refusal);
      return principal;
    }
    const digest = this.verifiedCacheMs > 0 ? createHash('sha256').update(token).digest('base64url') : '';
    const now = this.now();
    const hit = digest ? this.verified.get(digest) : undefined;
    if (hit && hit.until > now && this.keySets.holdsKey(hit.principal.issuer, hit.kid)) return hit.principal;
    if (hit) this.verified.delete(digest);
    const principal = await this.verifyJwt(token, new Date(now));
    const kid = decodeProtectedHeader(token).kid;
    if (digest && kid) {
      if (this.verified.size >= VERIFIED_CACHE_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(digest, {
        principal,
        kid,
        until: Math.min(now + this.verifiedCacheMs, principal.expiresAt.getTime()),
      });
    }
    return principal;
  }

  private async verifyJwt(token: string, currentDate: Date): Promise<VerifiedPrincipal> {
    const trusted = this.trustedIssuerOf(token);
    // Keys are resolved lazily, inside jwtVerify, so a token refused on its header alone (alg
    // `none`, HS256, …) never causes a request to the issuer.
    const getKey: JWTVerifyGetKey = async (header, jws) => (await this.keySets.resolverFor(trusted))(header, jws);

    let payload: JWTPayload;
    try {
      ({ payload } = await verifyWithAnyMatchingKey(token, getKey, {
        ...this.verifyOptions,
        currentDate,
        issuer: trusted.issuer,
        ...(trusted.requireTyp !== false && { typ: 'at+jwt' }),
      }));
    } catch (err) {
      if (err instanceof InboundTokenError) throw err;
      throw new InboundTokenError('invalid_token', describeRejection(err), { cause: err });
    }

    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new InboundTokenError('invalid_token', 'token "sub" claim must be a non-empty string');
    }
    const refusal = bakedForBaton(payload, this.refusedClientIds);
    if (refusal) throw new InboundTokenError('invalid_token', refusal);
    return {
      issuer: trusted.issuer,
      subject: payload.sub,
      scopes: scopesFromClaims(payload),
      expiresAt: new Date(payload.exp! * 1000),
      claims: payload,
    };
  }

  /**
   * Reads `iss` from the unverified payload, only to choose whose keys to verify with; jwtVerify
   * then checks the same `iss` again on the verified payload.
   */
  private trustedIssuerOf(token: string): TrustedIssuer {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch (err) {
      throw new InboundTokenError('invalid_token', 'token is not a well-formed JWT', { cause: err });
    }
    const trusted = typeof unverified.iss === 'string' ? this.trustedIssuers.get(unverified.iss) : undefined;
    if (!trusted) throw new InboundTokenError('invalid_token', 'token issuer is not trusted');
    return trusted;
  }
}

/**
 * jwtVerify, plus the one case jose leaves to the caller: a token without `kid` that several
 * published keys could have signed. Each candidate is tried; a signature failure moves on to the next.
 */
async function verifyWithAnyMatchingKey(
  token: string,
  getKey: JWTVerifyGetKey,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, getKey, options);
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    for await (const candidate of err) {
      try {
        return await jwtVerify(token, candidate, options);
      } catch (candidateErr) {
        if (!(candidateErr instanceof errors.JWSSignatureVerificationFailed)) throw candidateErr;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/**
 * Why a token Baton itself obtained (or had delegated to it) is refused at Baton's own door, or
 * null. A token for Baton's audience whose `act` names someone else's agent is a legitimate
 * delegated caller and passes.
 */
export function bakedForBaton(payload: JWTPayload, refusedClientIds: ReadonlySet<string>): string | null {
  for (const claim of ['client_id', 'azp'] as const) {
    const value = payload[claim];
    if (typeof value === 'string' && refusedClientIds.has(value))
      return `token was issued to Baton's own exchange client (${claim}); it is not accepted by Baton's API`;
  }
  const act = payload.act as { sub?: unknown } | undefined;
  if (act && typeof act === 'object' && typeof act.sub === 'string' && refusedClientIds.has(act.sub)) {
    return "token names Baton's own agent as its actor (act.sub); it is not accepted by Baton's API";
  }
  return null;
}

/** A caller-safe sentence for a jose rejection (jose's own messages are not part of our contract). */
function describeRejection(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `token lacks the required "${err.claim}" claim`;
    switch (err.claim) {
      case 'nbf':
        return 'token is not valid yet';
      case 'aud':
        return 'token audience is not accepted';
      case 'iss':
        return 'token issuer is not trusted';
      case 'typ':
        return 'token "typ" must be at+jwt (RFC 9068)';
      default:
        return `token "${err.claim}" claim is invalid`;
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token signing algorithm is not allowed';
  if (err instanceof errors.JWKSNoMatchingKey) return 'token is signed with a key its issuer does not publish';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'token is malformed';
  return 'token is invalid';
}
