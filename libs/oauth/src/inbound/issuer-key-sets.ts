import {
  createRemoteJWKSet,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose';
import { allowInsecureRequests, discovery } from 'openid-client';
import { InboundTokenError } from './inbound-token-error.js';
import type { IntrospectionSettings } from './token-introspector.js';

export interface TrustedIssuer {
  /** Compared byte for byte with a token's `iss`. */
  issuer: string;
  /** Where the issuer publishes its keys; found through OIDC discovery when absent. */
  jwksUri?: string;
  /** RFC 7662 introspection of this issuer's opaque tokens (SPEC §9.2). */
  introspection?: IntrospectionSettings;
  /** RFC 9068: inbound tokens must carry `typ: at+jwt` (default true). */
  requireTyp?: boolean;
}

export interface IssuerKeySetsOptions {
  /** How soon an unknown `kid` may trigger another JWKS fetch (jose's default: 30 s). */
  jwksCooldownMs?: number;
  /** Limit for each discovery and JWKS request. */
  httpTimeoutMs: number;
  /** After a failed discovery or JWKS fetch, no new fetch for this long (doubling per failure, see `FetchBackoff`). */
  backoff?: { initialMs: number; maxMs: number };
  /** For tests. */
  now?: () => number;
}

/** Default backoff after an issuer could not be reached: 1 s, doubling, at most 30 s (issue 10 item 15). */
export const DEFAULT_ISSUER_BACKOFF = { initialMs: 1000, maxMs: 30_000 } as const;

/**
 * When the next fetch from an issuer may happen after failures: `initialMs · 2^(failures-1)`,
 * capped at `maxMs`. Until then requests are answered from the last failure, so an issuer that is
 * down is not fetched once per inbound request.
 */
export class FetchBackoff {
  private failures = 0;
  private until = 0;
  private lastError: InboundTokenError | null = null;

  constructor(
    private readonly policy: { initialMs: number; maxMs: number },
    private readonly now: () => number,
  ) {}

  /** The error to answer with while backing off, else null (a fetch may happen). */
  blocked(): InboundTokenError | null {
    return this.lastError && this.now() < this.until ? this.lastError : null;
  }

  failed(error: InboundTokenError): void {
    this.failures += 1;
    this.until = this.now() + Math.min(this.policy.initialMs * 2 ** (this.failures - 1), this.policy.maxMs);
    this.lastError = error;
  }

  succeeded(): void {
    this.failures = 0;
    this.until = 0;
    this.lastError = null;
  }
}

// openid-client's discovery() builds a client configuration and so needs a client id; only the
// server metadata is read here, so the value never reaches the issuer.
const DISCOVERY_CLIENT_ID = 'baton-inbound-token-verifier';

/**
 * One key resolver per trusted issuer, created on first use: the JWKS URI comes from the
 * configuration or from OIDC discovery, and jose's remote JWKS caches the keys and refetches them
 * on an unknown `kid` (subject to the cooldown).
 *
 * Failures to reach the issuer surface as `InboundTokenError('issuer_unavailable')`; a failed
 * discovery is forgotten so the next request tries again. A key set that was fetched but holds no
 * matching key is the token's fault and surfaces as jose's own error.
 */
export class IssuerKeySets {
  private readonly resolvers = new Map<string, Promise<JWTVerifyGetKey>>();
  private readonly backoffs = new Map<string, FetchBackoff>();
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly options: IssuerKeySetsOptions) {}

  /**
   * Whether the issuer's key set as last fetched still holds `kid`: a remembered verification of a
   * token signed with a key the issuer has since retired must not outlive that key.
   */
  holdsKey(issuer: string, kid: string): boolean {
    return (
      this.keySets
        .get(issuer)
        ?.jwks()
        ?.keys.some((key) => key.kid === kid) ?? false
    );
  }

  /** The key resolver for `trusted`, for use as jose `jwtVerify`'s key argument. */
  resolverFor(trusted: TrustedIssuer): Promise<JWTVerifyGetKey> {
    const cached = this.resolvers.get(trusted.issuer);
    if (cached) return cached;
    const backoff = this.backoffOf(trusted.issuer);
    const blocked = backoff.blocked();
    if (blocked) return Promise.reject(blocked);
    const pending = this.createResolver(trusted);
    this.resolvers.set(trusted.issuer, pending);
    pending.catch((err: unknown) => {
      if (this.resolvers.get(trusted.issuer) === pending) this.resolvers.delete(trusted.issuer);
      if (err instanceof InboundTokenError) backoff.failed(err);
    });
    return pending;
  }

  private backoffOf(issuer: string): FetchBackoff {
    let backoff = this.backoffs.get(issuer);
    if (!backoff) {
      backoff = new FetchBackoff(this.options.backoff ?? DEFAULT_ISSUER_BACKOFF, this.options.now ?? Date.now);
      this.backoffs.set(issuer, backoff);
    }
    return backoff;
  }

  private async createResolver(trusted: TrustedIssuer): Promise<JWTVerifyGetKey> {
    const jwksUrl = trusted.jwksUri ? new URL(trusted.jwksUri) : await this.discoverJwksUri(trusted.issuer);
    const remoteKeys = createRemoteJWKSet(jwksUrl, {
      timeoutDuration: this.options.httpTimeoutMs,
      cooldownDuration: this.options.jwksCooldownMs,
    });
    this.keySets.set(trusted.issuer, remoteKeys);
    const backoff = this.backoffOf(trusted.issuer);
    return async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
      const blocked = backoff.blocked();
      if (blocked) throw blocked;
      try {
        const key = await remoteKeys(header, token);
        backoff.succeeded();
        return key;
      } catch (err) {
        // Both are answers from a key set that was fetched: the token names a key it does not hold.
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        // Everything else comes from fetching or parsing the key set: timeouts, refused
        // connections, non-200 answers, bodies that are not a JWKS.
        const error = unavailable(trusted.issuer, 'its keys could not be fetched', err);
        backoff.failed(error);
        throw error;
      }
    };
  }

  private async discoverJwksUri(issuer: string): Promise<URL> {
    const issuerUrl = new URL(issuer);
    let jwksUri: string | undefined;
    try {
      const configuration = await discovery(issuerUrl, DISCOVERY_CLIENT_ID, undefined, undefined, {
        timeout: this.options.httpTimeoutMs / 1000,
        // An operator who lists an http:// issuer has chosen plain HTTP for it (development).
        execute: issuerUrl.protocol === 'http:' ? [allowInsecureRequests] : [],
      });
      jwksUri = configuration.serverMetadata().jwks_uri;
    } catch (err) {
      throw unavailable(issuer, 'its discovery document could not be fetched', err);
    }
    if (!jwksUri) throw unavailable(issuer, 'its discovery document has no jwks_uri');
    try {
      return new URL(jwksUri);
    } catch (err) {
      throw unavailable(issuer, 'its discovery document has an invalid jwks_uri', err);
    }
  }
}

// The issuer named here is a configured trusted issuer, never a value read from a token.
function unavailable(issuer: string, reason: string, cause?: unknown): InboundTokenError {
  return new InboundTokenError('issuer_unavailable', `token issuer ${issuer} is unavailable: ${reason}`, { cause });
}
