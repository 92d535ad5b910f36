import type { ExchangeProfile } from '@baton/platform';
import { decodeJwt } from 'jose';
import { genericGrantRequest, tokenRevocation, type Configuration } from 'openid-client';
import { ActorKeyError } from '../actor/actor-key.js';
import { ActorTokenSigner, type ActorChainLink } from '../actor/actor-token-signer.js';
import { checkMayAct } from '../actor/may-act.js';
import { cacheKey, subjectTokenDigest } from '../cache/cache-key.js';
import { RELEASE_RETRIES, isRetryableRelease, releaseRetryDelayMs } from './release-retry.js';
import { ExchangedTokenCache } from '../cache/exchanged-token-cache.js';
import { findMissingScopes } from '../scopes/scope-difference.js';
import { authorizationServerConfiguration } from './authorization-server-configuration.js';
import { ClientCredentialsError } from './client-authentication.js';
import { exchangeFailureError, redact } from './exchange-failure-error.js';
import { checkGrantedScopes, toExchangedToken } from './exchange-response.js';
import { TokenExchangeError } from './token-exchange-error.js';
import { vendorStrategy } from './vendors/vendor-strategies.js';
import type { VendorExchangeInput } from './vendors/vendor-strategy.js';

export interface TokenExchangerOptions {
  /** `exchangeProfiles` from the configuration, secrets already resolved. */
  profiles: Record<string, ExchangeProfile>;
  /** Shared cache of exchanged tokens; a private one when absent. */
  cache?: ExchangedTokenCache;
  /** Limit for each request to an authorization server; default 10. */
  httpTimeoutSeconds?: number;
  /** First wait before retrying a release (SPEC §10.4), doubling; default 500 ms. */
  releaseBackoffMs?: number;
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
  /** The workflow's `agentId`: the actor token's `sub` on a profile with `actor` (`baton` when absent). */
  agentId?: string;
  /** Sub-workflows: the parent runs' agents, nearest first; the actor token's nested `act`. */
  actorChain?: readonly ActorChainLink[];
  /** The run asking: a `revokeOnRunEnd` profile caches per run and releases at its end (SPEC §10.4). */
  runId?: string;
}

/** One token of an ended run, revoked (or not) at its authorization server (SPEC §10.4). */
export interface ReleasedToken {
  profile: string;
  jti?: string;
  revoked: boolean;
  /** The last HTTP status of the revocation endpoint, or null when none came (or it has none). */
  status: number | null;
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
  /** The actor `sub` presented, on a profile with `actor`. */
  actor?: string;
  /** The issued token's `act` claim, verbatim, when it is a JWT that has one. */
  act?: unknown;
}

/** What became of a token a probe obtained (RFC 7009, best effort, one attempt). */
export interface TokenRelease {
  /** Whether the authorization server has a `revocation_endpoint` (discovery); false: the token just expires. */
  supported: boolean;
  /** True when the revocation endpoint answered 200. */
  revoked: boolean;
  /** The revocation endpoint's HTTP status, or null when no answer came (or none was asked). */
  status: number | null;
}

/** One exchange made to see what the authorization server answers; the token itself is never returned. */
export interface ExchangeProbeResult {
  /** Null when a token was issued and passed the scope checks; else the failure, classified as for any exchange. */
  error: TokenExchangeError | null;
  /** On success: what the server granted. */
  scopes?: string[];
  expiresAt?: Date;
  jti?: string;
  /** Null when no token was issued; else whether it was revoked. */
  release: TokenRelease | null;
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
  private readonly signers = new Map<string, Promise<ActorTokenSigner>>();
  private readonly inFlight = new Map<string, Promise<ExchangeResult>>();
  /** Runs with tokens of a `revokeOnRunEnd` profile in the cache. */
  private readonly runsHoldingTokens = new Set<string>();
  private readonly releaseBackoffMs: number;

  constructor(options: TokenExchangerOptions) {
    this.profiles = new Map(Object.entries(options.profiles));
    this.now = options.now ?? (() => new Date());
    this.cache = options.cache ?? new ExchangedTokenCache({ clock: this.now });
    this.timeoutSeconds = options.httpTimeoutSeconds ?? DEFAULT_HTTP_TIMEOUT_SECONDS;
    this.releaseBackoffMs = options.releaseBackoffMs ?? 500;
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

  /**
   * SPEC §12.2 (preflight): one real exchange that neither reads nor fills the cache nor joins an
   * identical exchange in flight. Whatever token the server issues (also one refused for widening
   * or missing scopes) is discarded at once and revoked (RFC 7009, `token_type_hint=access_token`,
   * one attempt) when the server's metadata names a `revocation_endpoint`. Never throws a
   * `TokenExchangeError`: the failure is in the result.
   */
  async probe(request: ExchangeRequest): Promise<ExchangeProbeResult> {
    let issued: string | undefined;
    try {
      const result = await this.exchangeWithServer(this.profileOf(request.profile), request, undefined, (token) => {
        issued = token;
      });
      const release = await this.release(request.profile, issued);
      return {
        error: null,
        scopes: result.scopes,
        expiresAt: result.expiresAt,
        ...(result.jti !== undefined && { jti: result.jti }),
        release,
      };
    } catch (error) {
      if (!(error instanceof TokenExchangeError)) throw error;
      return { error, release: await this.release(request.profile, issued) };
    }
  }

  /** Revokes a token of `profile` at its authorization server, if it has a revocation endpoint; never throws. */
  private async release(profileName: string, token: string | undefined): Promise<TokenRelease | null> {
    if (token === undefined) return null;
    const profile = this.profiles.get(profileName)!;
    let config: Configuration;
    try {
      config = await this.configurationFor(profileName, profile, [token, profile.clientSecret, profile.privateKey]);
    } catch {
      return { supported: false, revoked: false, status: null };
    }
    if (!config.serverMetadata().revocation_endpoint) return { supported: false, revoked: false, status: null };
    try {
      await tokenRevocation(config, token, { token_type_hint: 'access_token' });
      return { supported: true, revoked: true, status: 200 };
    } catch (error) {
      // A 4xx with an OAuth body carries `status`; a 5xx is a non-conform answer whose Response is the `cause`.
      const answer = error as { status?: unknown; cause?: { status?: unknown } };
      const status = typeof answer.status === 'number' ? answer.status : answer.cause?.status;
      return { supported: true, revoked: false, status: typeof status === 'number' ? status : null };
    }
  }

  /**
   * SPEC §10.3: drops every cached token exchanged from the subject token with this digest
   * (`subjectTokenDigest`). Returns how many were dropped. (Callers also stop using the subject
   * token itself: an exchange in flight finishes, like a downstream call in flight.)
   */
  dropSubject(digest: string): number {
    return this.cache.dropTagged(subjectTag(digest)).length;
  }

  /** The runs this exchanger holds `revokeOnRunEnd` tokens of (to release once they end). */
  heldRuns(): string[] {
    return [...this.runsHoldingTokens];
  }

  /**
   * SPEC §10.4: drops the run's tokens of every `revokeOnRunEnd` profile and revokes each at its
   * authorization server (`token_type_hint=access_token`), retrying network errors, 429 and 5xx up
   * to 5 times with exponential back-off. Never throws.
   */
  async releaseRun(runId: string): Promise<ReleasedToken[]> {
    this.runsHoldingTokens.delete(runId);
    const released: Promise<ReleasedToken>[] = [];
    for (const [name, profile] of this.profiles) {
      if (!profile.revokeOnRunEnd) continue;
      for (const token of this.cache.dropTagged(runTag(runId, name)))
        released.push(this.releaseWithRetries(name, token.accessToken, token.jti));
    }
    return Promise.all(released);
  }

  private async releaseWithRetries(profile: string, accessToken: string, jti?: string): Promise<ReleasedToken> {
    for (let retry = 0; ; retry++) {
      const answer = await this.release(profile, accessToken);
      const status = answer?.status ?? null;
      const done = !answer?.supported || answer.revoked || !isRetryableRelease(status) || retry >= RELEASE_RETRIES;
      if (done) return { profile, ...(jti && { jti }), revoked: answer?.revoked ?? false, status };
      await new Promise((resolve) => setTimeout(resolve, releaseRetryDelayMs(retry + 1, this.releaseBackoffMs)));
    }
  }

  /** Drops the cached token for this request (e.g. the downstream answered 401 with it). */
  invalidate(request: Omit<ExchangeRequest, 'requiredScopes'> & { requiredScopes?: string[] }): boolean {
    const key = this.keyOf(request);
    // A new exchange must not join one that started before the token was rejected.
    this.inFlight.delete(key);
    return this.cache.delete(key);
  }

  /** One request to the server; cached under `key` when one is given. `issued` hears of any token the server returned. */
  private async exchangeWithServer(
    profile: ExchangeProfile,
    request: ExchangeRequest,
    key: string | undefined,
    issued?: (accessToken: string) => void,
  ): Promise<ExchangeResult> {
    const name = request.profile;
    const strategy = vendorStrategy(profile.vendor);
    const secrets = [request.subjectToken, profile.clientSecret, profile.privateKey, profile.actor?.signingKey];

    // SPEC §9.3: a user token whose may_act does not name the actor is never exchanged.
    const actor = profile.actor ? actorSubjectOf(request) : undefined;
    if (profile.actor && actor) {
      const mayAct = checkMayAct(request.subjectToken, { sub: actor, iss: profile.actor.issuer });
      if (!mayAct.ok) {
        throw new TokenExchangeError(
          'consent_required',
          `token exchange (profile "${name}") not attempted: ${mayAct.reason}`,
          {
            profile: name,
            escalationDetail: mayAct.reason,
          },
        );
      }
    }

    const config = await this.configurationFor(name, profile, secrets);
    const input: VendorExchangeInput = {
      subjectToken: request.subjectToken,
      audience: request.audience,
      resource: request.resource,
      scopes: request.scopes,
    };
    if (profile.actor && actor) {
      const signer = await this.signerFor(name, profile, secrets);
      const token = await signer.sign({ subject: actor, audience: profile.issuer, parentChain: request.actorChain });
      secrets.push(token);
      input.actorToken = { token, type: signer.tokenType };
    }
    const grant = strategy.buildRequest(profile, input);

    let response: Awaited<ReturnType<typeof genericGrantRequest>>;
    try {
      response = await genericGrantRequest(config, grant.grantType, grant.parameters);
    } catch (err) {
      throw exchangeFailureError(err, {
        profile: name,
        stage: 'token',
        secrets,
        now: this.now().getTime(),
        vendor: strategy.classifyError,
      });
    }
    secrets.push(response.access_token);
    issued?.(response.access_token);

    const check = checkGrantedScopes(request.scopes, request.requiredScopes, strategy.grantedScope(response, input));
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
    if (actor !== undefined) token.actor = actor;
    const act = actClaimOfToken(response.access_token);
    if (act !== undefined) token.act = act;
    if (key !== undefined) {
      const tags = [subjectTag(subjectTokenDigest(request.subjectToken))];
      if (profile.revokeOnRunEnd && request.runId) {
        tags.push(runTag(request.runId, name));
        this.runsHoldingTokens.add(request.runId);
      }
      this.cache.set(key, token, profile.expirySkewSeconds, now, tags);
    }
    return { ...token, scopes: [...token.scopes], cached: false };
  }

  /** The profile's actor token signer, built once; a failed build is not remembered. */
  private async signerFor(
    name: string,
    profile: ExchangeProfile,
    secrets: readonly (string | undefined)[],
  ): Promise<ActorTokenSigner> {
    let signer = this.signers.get(name);
    if (!signer) {
      const built = ActorTokenSigner.create(profile.actor!, `exchangeProfiles.${name}.actor`, this.now);
      built.catch(() => {
        if (this.signers.get(name) === built) this.signers.delete(name);
      });
      this.signers.set(name, built);
      signer = built;
    }
    try {
      return await signer;
    } catch (err) {
      const reason = err instanceof ActorKeyError ? err.message : 'the actor signing key cannot be used';
      throw new TokenExchangeError('fatal', redact(`token exchange: ${reason}`, secrets), {
        profile: name,
        cause: err,
      });
    }
  }

  private withRequiredScopes(request: ExchangeRequest, result: ExchangeResult): ExchangeResult {
    const missing = findMissingScopes(request.requiredScopes, result.scopes);
    if (missing.length > 0)
      throw insufficientScope(request.profile, missing, [request.subjectToken, result.accessToken]);
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
        throw new TokenExchangeError('fatal', redact(`token exchange: ${err.message}`, secrets), {
          profile: name,
          cause: err,
        });
      }
      throw exchangeFailureError(err, { profile: name, stage: 'metadata', secrets, now: this.now().getTime() });
    }
  }

  private async buildConfiguration(profile: ExchangeProfile): Promise<Configuration> {
    const clientAuth = await vendorStrategy(profile.vendor).clientAuthentication(profile);
    return authorizationServerConfiguration(profile, clientAuth, this.timeoutSeconds);
  }

  private profileOf(name: string): ExchangeProfile {
    const profile = this.profiles.get(name);
    if (!profile) {
      throw new TokenExchangeError('fatal', `token exchange: unknown exchange profile ${JSON.stringify(name)}`, {
        profile: name,
      });
    }
    return profile;
  }

  private keyOf(
    request: Pick<
      ExchangeRequest,
      'subjectToken' | 'profile' | 'audience' | 'resource' | 'scopes' | 'agentId' | 'actorChain' | 'runId'
    >,
  ): string {
    // SPEC §10.4: a token released at its run's end is never shared with another run.
    const perRun = this.profiles.get(request.profile)?.revokeOnRunEnd === true;
    const parts = {
      subjectToken: request.subjectToken,
      profile: request.profile,
      audience: request.audience,
      resource: request.resource,
      scopes: request.scopes,
      ...(perRun && { runId: request.runId ?? null }),
    };
    return this.profiles.get(request.profile)?.actor
      ? cacheKey({ ...parts, actor: JSON.stringify([actorSubjectOf(request), request.actorChain ?? []]) })
      : cacheKey(parts);
  }
}

function runTag(runId: string, profile: string): string {
  return `run:${JSON.stringify([runId, profile])}`;
}

function subjectTag(digest: string): string {
  return `subject:${digest}`;
}

function insufficientScope(
  profile: string,
  missing: string[],
  secrets: readonly (string | undefined)[],
): TokenExchangeError {
  return new TokenExchangeError(
    'insufficient_scope',
    redact(
      `token exchange (profile "${profile}"): the authorization server did not grant the required scopes ${missing.join(' ')}`,
      secrets,
    ),
    { profile, missingScopes: missing },
  );
}

/** The actor `sub` (SPEC §9.3): the workflow's `agentId`, or `baton` when it has none. */
function actorSubjectOf(request: Pick<ExchangeRequest, 'agentId'>): string {
  return request.agentId || 'baton';
}

/** The `act` claim of an issued JWT, verbatim; undefined for an opaque token or one without it. */
function actClaimOfToken(accessToken: string): unknown {
  try {
    return decodeJwt(accessToken).act;
  } catch {
    return undefined;
  }
}
