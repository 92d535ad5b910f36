import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { SET_ALGORITHMS, checkSetClaims, checkSetHeader } from './set-claims.js';
import { SetErrorCode, SetRefusal } from './set-refusal.js';
import { SsfMetadataUnavailable, fetchSsfMetadata } from './ssf-metadata.js';

/** What the verifier needs of a configured transmitter (SPEC §10.1). */
export interface SetTransmitter {
  issuer: string;
  metadataUrl: string;
  jwksUri?: string;
  audiences: readonly string[];
  requireTyp: boolean;
  subjectIssuer: string;
}

/** A SET that passed every check of SPEC §10.2. */
export interface VerifiedSet {
  transmitter: SetTransmitter;
  jti: string;
  issuedAt: number;
  events: { type: string; claims: Record<string, unknown> }[];
  subId?: unknown;
}

export interface SetVerifierOptions {
  /** Limit for each metadata and JWKS request; default 5000. */
  httpTimeoutMs?: number;
  /** Least time between JWKS refetches caused by an unknown `kid`; default 1 s. */
  jwksCooldownMs?: number;
  /** Seconds since the epoch; tests move it. */
  now?: () => number;
}

/**
 * Verifies Security Event Tokens (SPEC §10.2): JWS with an asymmetric key of the transmitter's JWKS
 * (`jwksUri`, else the `jwks_uri` of its SSF metadata; refetched on an unknown `kid`), `typ`,
 * `iss`, `aud` and the SET claims. Throws `SetRefusal` with the `err` code to answer.
 */
export class SetVerifier {
  private readonly byIssuer: ReadonlyMap<string, SetTransmitter>;
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(transmitters: readonly SetTransmitter[], options: SetVerifierOptions = {}) {
    this.byIssuer = new Map(transmitters.map((t) => [t.issuer, t]));
    this.timeoutMs = options.httpTimeoutMs ?? 5000;
    this.cooldownMs = options.jwksCooldownMs ?? 1000;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The configured transmitter a SET claims to be from (unverified: to choose its bearer and keys). */
  claimedTransmitter(compact: string): SetTransmitter | undefined {
    try {
      const iss = decodeJwt(compact).iss;
      return typeof iss === 'string' ? this.byIssuer.get(iss) : undefined;
    } catch {
      return undefined;
    }
  }

  async verify(compact: string, accepts: (t: SetTransmitter) => boolean = () => true): Promise<VerifiedSet> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(compact))
      throw new SetRefusal(SetErrorCode.InvalidRequest, 'the body is not a compact JWS');
    let header;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(compact);
      unverified = decodeJwt(compact);
    } catch {
      throw new SetRefusal(SetErrorCode.InvalidRequest, 'the body is not a JWS with a JSON payload');
    }
    const transmitter = typeof unverified.iss === 'string' ? this.byIssuer.get(unverified.iss) : undefined;
    if (!transmitter || !accepts(transmitter))
      throw new SetRefusal(SetErrorCode.InvalidIssuer, 'iss is not a configured transmitter');
    checkSetHeader(header, transmitter.requireTyp);

    let payload: JWTPayload;
    try {
      const keys = await this.keysOf(transmitter);
      ({ payload } = await jwtVerify(compact, keys, {
        algorithms: SET_ALGORITHMS,
        issuer: transmitter.issuer,
        audience: [...transmitter.audiences],
        currentDate: new Date(this.now() * 1000),
        clockTolerance: 60,
      }));
    } catch (error) {
      throw refusalOf(error);
    }
    const { events } = checkSetClaims(payload, this.now());
    return {
      transmitter,
      jti: payload.jti!,
      issuedAt: payload.iat!,
      events: Object.entries(events).map(([type, claims]) => ({
        type,
        claims:
          typeof claims === 'object' && claims !== null && !Array.isArray(claims)
            ? (claims as Record<string, unknown>)
            : {},
      })),
      ...('sub_id' in payload && { subId: (payload as { sub_id?: unknown }).sub_id }),
    };
  }

  /** The transmitter's key set, built once; a failed discovery is forgotten so the next SET tries again. */
  private keysOf(transmitter: SetTransmitter): Promise<JWTVerifyGetKey> {
    let keys = this.keySets.get(transmitter.issuer);
    if (!keys) {
      keys = this.jwksUriOf(transmitter).then((uri) =>
        createRemoteJWKSet(new URL(uri), { timeoutDuration: this.timeoutMs, cooldownDuration: this.cooldownMs }),
      );
      keys.catch(() => this.keySets.delete(transmitter.issuer));
      this.keySets.set(transmitter.issuer, keys);
    }
    return keys;
  }

  private async jwksUriOf(transmitter: SetTransmitter): Promise<string> {
    if (transmitter.jwksUri) return transmitter.jwksUri;
    const metadata = await fetchSsfMetadata(transmitter, this.timeoutMs);
    if (typeof metadata.jwks_uri !== 'string') throw new SsfMetadataUnavailable('the SSF metadata has no jwks_uri');
    return metadata.jwks_uri;
  }
}

function refusalOf(error: unknown): SetRefusal {
  if (error instanceof SetRefusal) return error;
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new SetRefusal(SetErrorCode.InvalidAudience, 'aud does not name this receiver');
    if (error.claim === 'iss') return new SetRefusal(SetErrorCode.InvalidIssuer, 'iss is not a configured transmitter');
    return new SetRefusal(SetErrorCode.InvalidRequest, `the ${error.claim} claim is invalid`);
  }
  if (error instanceof errors.JWTExpired)
    return new SetRefusal(SetErrorCode.InvalidRequest, 'a SET carries no exp claim');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return new SetRefusal(SetErrorCode.InvalidKey, 'no key of the transmitter matches the kid');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new SetRefusal(SetErrorCode.InvalidKey, 'the signature does not verify');
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new SetRefusal(SetErrorCode.InvalidKey, 'the algorithm is not an asymmetric one');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return new SetRefusal(SetErrorCode.InvalidRequest, 'the SET is not a well-formed JWT');
  // Keys could not be had (metadata or JWKS unreachable or malformed): the signature cannot verify.
  return new SetRefusal(SetErrorCode.InvalidKey, "the transmitter's keys could not be obtained");
}
