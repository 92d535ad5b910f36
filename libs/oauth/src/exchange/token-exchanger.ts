import type { ExchangeProfile } from '@baton/platform';
import { genericGrantRequest, type Configuration } from 'openid-client';
import { cacheKey } from '../cache/cache-key.js';
import { ExchangedTokenCache } from '../cache/exchanged-token-cache.js';
import { findMissingScopes } from '../scopes/scope-difference.js';
import { authorizationServerConfiguration } from './authorization-server-configuration.js';
import { ClientCredentialsError, clientAuthentication } from './client-authentication.js';
import { exchangeFailureError, redact } from './exchange-failure-error.js';
import { checkGrantedScopes, toExchangedToken } from './exchange-response.js';
import { TokenExchangeError } from './token-exchange-error.js';
import { TOKEN_EXCHANGE_GRANT_TYPE, tokenExchangeParameters } from './token-exchange-parameters.js';

export interface TokenExchangerOptions {
  /** `exchangeProfiles` from the configuration, secrets already resolved. */
  profiles: Record<string, ExchangeProfile>;
  /** Shared cache of exchanged tokens; a private one when absent. */
  cache?: ExchangedTokenCache;
  /** Limit for each request to an authorization server; default 10. */
  httpTimeoutSeconds?: number;
  /** Injected for tests. */
  now?: () => Date;
}

/** One exchange: the user's token, what to ask for, and what the node cannot do without. */
export interface ExchangeRequest {
  /** An `exchangeProfiles` key. */
  profile: string;
  subjectToken: string;
  audience?: string;
  resource?: string;
  /** Sent as `scope`: the narrowed (granted) set, never the user's other scopes. */
  scopes: string[];
  /** Must all be in the server's answer, else `insufficient_scope`. */
  requiredScopes: string[];
}

export interface ExchangeResult {
  accessToken: string;
  expiresAt: Date;
  /** What the server granted (the requested scopes when its answer had no `scope`). */
  scopes: string[];
  /** When the access token is a JWT with a `jti`. */
  jti?: string;
  /** True when served from the cache (or by joining an identical exchange in flight). */
  cached: boolean;
}

const DEFAULT_HTTP_TIMEOUT_SECONDS = 10;

/**
 * The RFC 8693 client (SPEC §4 step 3), through openid-client 6. Exchanged tokens are cached in
 * memory per (subject token hash, profile, audience, resource, scopes) until `expirySkewSeconds`
 * before they expire. Every failure is a `TokenExchangeError` whose `code` tells the caller what to
 * do; no message ever holds a token or a client credential.
 *
 * Per profile, the openid-client `Configuration` (discovery, client authentication) is built on
 * first use and reused; a failed build is forgotten so that the next exchange tries again.
 * Identical exchanges in flight at the same time share one request.
 */
export class TokenExchanger {
  private readonly profiles: ReadonlyMap<string, ExchangeProfile>;
  private readonly cache: ExchangedTokenCache;
  private readonly timeoutSeconds: number;
  private readonly now: () => Date;
  private readonly configurations = new Map<string, Promise<Configuration>>();
  private readonly inFlight = new Map<string, Promise<ExchangeResult>>();

  constructor(options: TokenExchangerOptions) {
    this.profiles = new Map(Object.entries(options.profiles));
    this.now = options.now ?? (() => new Date());
    this.cache = options.cache ?? new ExchangedTokenCache({ clock: this.now });
    this.timeoutSeconds = options.httpTimeoutSeconds ?? DEFAULT_HTTP_TIMEOUT_SECONDS;
    if (!(this.timeoutSeconds > 0 && Number.isFinite(this.timeoutSeconds))) {
      throw new RangeError('httpTimeoutSeconds must be a positive number');
    }
  }

  async exchange(request: ExchangeRequest): Promise<ExchangeResult> {
    const profile = this.profileOf(request.profile);
    const key = this.keyOf(request);

    // The key leaves out requiredScopes, so a token obtained for another request with the same
    // scopes is checked against this request's own requirements.
    const hit = this.cache.get(key, this.now());
    if (hit) return this.withRequiredScopes(request, { ...hit, scopes: [...hit.scopes], cached: true });

    const pending = this.inFlight.get(key);
    if (pending) {
      const shared = await pending;
      return this.withRequiredScopes(request, { ...shared, scopes: [...shared.scopes], cached: true });
    }

    const exchange = this.exchangeWithServer(profile, request, key);
    this.inFlight.set(key, exchange);
    try {
      return await exchange;
    } finally {
      if (this.inFlight.get(key) === exchange) this.inFlight.delete(key);
    }
  }

  /** Drops the cached token for this request (e.g. the downstream answered 401 with it). */
  invalidate(request: Omit<ExchangeRequest, 'requiredScopes'> & { requiredScopes?: string[] }): boolean {
    const key = this.keyOf(request);
    // A new exchange must not join one that started before the token was rejected.
    this.inFlight.delete(key);
    return this.cache.delete(key);
  }

  private async exchangeWithServer(profile: ExchangeProfile, request: ExchangeRequest, key: string): Promise<ExchangeResult> {
    const name = request.profile;
    const secrets = [request.subjectToken, profile.clientSecret, profile.privateKey];
    const config = await this.configurationFor(name, profile, secrets);

    let response: Awaited<ReturnType<typeof genericGrantRequest>>;
    try {
      response = await genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, tokenExchangeParameters(profile, request));
    } catch (err) {
      throw exchangeFailureError(err, { profile: name, stage: 'token', secrets, now: this.now().getTime() });
    }
    secrets.push(response.access_token);

    const check = checkGrantedScopes(request.scopes, request.requiredScopes, response.scope);
    if (!check.ok && check.code === 'scope_escalation') {
      // The token is dropped here: not cached, not returned, not in the error.
      throw new TokenExchangeError(
        'scope_escalation',
        redact(
          `token exchange (profile "${name}"): the authorization server granted scopes that were not requested ` +
            `(${check.widened.join(' ')}); the token was discarded`,
          secrets,
        ),
        { profile: name, widenedScopes: check.widened },
      );
    }
    if (!check.ok) throw insufficientScope(name, check.missing, secrets);

    const now = this.now();
    const token = toExchangedToken(response, check.scopes, now);
    this.cache.set(key, token, profile.expirySkewSeconds, now);
    return { ...token, scopes: [...token.scopes], cached: false };
  }

  private withRequiredScopes(request: ExchangeRequest, result: ExchangeResult): ExchangeResult {
    const missing = findMissingScopes(request.requiredScopes, result.scopes);
    if (missing.length > 0) throw insufficientScope(request.profile, missing, [request.subjectToken, result.accessToken]);
    return result;
  }

  /** The profile's openid-client configuration, built once; a failed build is not remembered. */
  private async configurationFor(
    name: string,
    profile: ExchangeProfile,
    secrets: readonly (string | undefined)[],
  ): Promise<Configuration> {
    let configuration = this.configurations.get(name);
    if (!configuration) {
      const built = this.buildConfiguration({ ...profile, name });
      built.catch(() => {
        if (this.configurations.get(name) === built) this.configurations.delete(name);
      });
      this.configurations.set(name, built);
      configuration = built;
    }
    try {
      return await configuration;
    } catch (err) {
      if (err instanceof ClientCredentialsError) {
        throw new TokenExchangeError('fatal', redact(`token exchange: ${err.message}`, secrets), { profile: name, cause: err });
      }
      throw exchangeFailureError(err, { profile: name, stage: 'metadata', secrets, now: this.now().getTime() });
    }
  }

  private async buildConfiguration(profile: ExchangeProfile): Promise<Configuration> {
    const clientAuth = await clientAuthentication(profile);
    return authorizationServerConfiguration(profile, clientAuth, this.timeoutSeconds);
  }

  private profileOf(name: string): ExchangeProfile {
    const profile = this.profiles.get(name);
    if (!profile) {
      throw new TokenExchangeError('fatal', `token exchange: unknown exchange profile ${JSON.stringify(name)}`, { profile: name });
    }
    return profile;
  }

  private keyOf(request: Pick<ExchangeRequest, 'subjectToken' | 'profile' | 'audience' | 'resource' | 'scopes'>): string {
    return cacheKey({
      subjectToken: request.subjectToken,
      profile: request.profile,
      audience: request.audience,
      resource: request.resource,
      scopes: request.scopes,
    });
  }
}

function insufficientScope(profile: string, missing: string[], secrets: readonly (string | undefined)[]): TokenExchangeError {
  return new TokenExchangeError(
    'insufficient_scope',
    redact(`token exchange (profile "${profile}"): the authorization server did not grant the required scopes ${missing.join(' ')}`, secrets),
    { profile, missingScopes: missing },
  );
}
