import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { allowInsecureRequests, ClientSecretBasic, Configuration, discovery, tokenIntrospection } from 'openid-client';
import { parseScopes } from '../scopes/parse-scopes.js';
import { InboundTokenError } from './inbound-token-error.js';

/** `trustedIssuers[].introspection` (SPEC §9.2), secret resolved. */
export interface IntrospectionSettings {
  /** RFC 7662 endpoint; from the issuer's discovery document when absent. */
  endpoint?: string;
  clientId: string;
  clientSecret: string;
}

export interface IntrospectedPrincipal {
  issuer: string;
  subject: string;
  scopes: string[];
  expiresAt: Date;
  claims: JWTPayload;
}

export interface TokenIntrospectorOptions {
  issuers: Array<{ issuer: string; introspection: IntrospectionSettings }>;
  /** When present, an answer's `aud` (if it has one) must contain it. */
  audience?: string;
  httpTimeoutMs: number;
  /** Answers are kept at most this long, and never past their `exp`; default 60 (SPEC §9.2's ceiling). */
  cacheSeconds?: number;
  maxEntries?: number;
  now?: () => number;
}

/** SPEC §9.2: introspection answers are cached at most this long. */
export const MAX_INTROSPECTION_CACHE_SECONDS = 60;

/**
 * Opaque inbound tokens (SPEC §9.2): RFC 7662 introspection, through openid-client, at each
 * trusted issuer that has `introspection`, in configuration order; the first `active: true`
 * answer is the caller: `(iss, sub)`, its `scope`, its `exp`. `active: false` everywhere →
 * `invalid_token`; no active answer while an endpoint could not be reached → `issuer_unavailable`
 * (503). Active answers are cached by the token's SHA-256 for at most 60 s and never past `exp`.
 */
export class TokenIntrospector {
  private readonly configurations = new Map<string, Promise<Configuration>>();
  private readonly cache = new Map<string, { principal: IntrospectedPrincipal; until: number }>();
  private readonly cacheMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenIntrospectorOptions) {
    const seconds = options.cacheSeconds ?? MAX_INTROSPECTION_CACHE_SECONDS;
    if (!(seconds >= 0 && seconds <= MAX_INTROSPECTION_CACHE_SECONDS))
      throw new RangeError(`cacheSeconds must be between 0 and ${MAX_INTROSPECTION_CACHE_SECONDS}`);
    this.cacheMs = seconds * 1000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.issuers.length > 0;
  }

  async introspect(token: string): Promise<IntrospectedPrincipal> {
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    if (hit) this.cache.delete(key);

    let unreachable: InboundTokenError | undefined;
    for (const trusted of this.options.issuers) {
      let answer: Record<string, unknown>;
      try {
        answer = (await tokenIntrospection(await this.configurationFor(trusted), token)) as Record<string, unknown>;
      } catch (err) {
        unreachable ??= new InboundTokenError(
          'issuer_unavailable',
          `token issuer ${trusted.issuer} is unavailable: its introspection endpoint did not answer`,
          { cause: err },
        );
        continue;
      }
      if (answer.active !== true) continue;
      const principal = this.principalOf(trusted.issuer, answer, now);
      const until = Math.min(now + this.cacheMs, principal.expiresAt.getTime());
      if (until > now) this.remember(key, principal, until);
      return principal;
    }
    if (unreachable) throw unreachable;
    throw new InboundTokenError('invalid_token', 'token is not active');
  }

  private principalOf(issuer: string, answer: Record<string, unknown>, now: number): IntrospectedPrincipal {
    if (answer.iss !== undefined && answer.iss !== issuer)
      throw new InboundTokenError('invalid_token', 'token issuer is not trusted');
    if (typeof answer.sub !== 'string' || answer.sub === '')
      throw new InboundTokenError('invalid_token', 'token "sub" claim must be a non-empty string');
    if (typeof answer.exp !== 'number')
      throw new InboundTokenError('invalid_token', 'token lacks the required "exp" claim');
    if (answer.exp * 1000 <= now) throw new InboundTokenError('invalid_token', 'token has expired');
    if (this.options.audience !== undefined && answer.aud !== undefined) {
      const audiences = Array.isArray(answer.aud) ? answer.aud : [answer.aud];
      if (!audiences.includes(this.options.audience))
        throw new InboundTokenError('invalid_token', 'token audience is not accepted');
    }
    // `scope` is the RFC 7662 member; `roles` is never read as scopes.
    return {
      issuer,
      subject: answer.sub,
      scopes: parseScopes(answer.scope),
      expiresAt: new Date(answer.exp * 1000),
      claims: { ...answer, iss: issuer } as JWTPayload,
    };
  }

  private remember(key: string, principal: IntrospectedPrincipal, until: number): void {
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { principal, until });
  }

  private configurationFor(trusted: { issuer: string; introspection: IntrospectionSettings }): Promise<Configuration> {
    let configuration = this.configurations.get(trusted.issuer);
    if (!configuration) {
      configuration = this.buildConfiguration(trusted);
      const built = configuration;
      built.catch(() => {
        if (this.configurations.get(trusted.issuer) === built) this.configurations.delete(trusted.issuer);
      });
      this.configurations.set(trusted.issuer, built);
    }
    return configuration;
  }

  private async buildConfiguration({
    issuer,
    introspection,
  }: {
    issuer: string;
    introspection: IntrospectionSettings;
  }): Promise<Configuration> {
    const auth = ClientSecretBasic(introspection.clientSecret);
    const insecure = issuer.startsWith('http:') || introspection.endpoint?.startsWith('http:') === true;
    let config: Configuration;
    if (introspection.endpoint) {
      config = new Configuration(
        { issuer, introspection_endpoint: introspection.endpoint },
        introspection.clientId,
        undefined,
        auth,
      );
      if (insecure) allowInsecureRequests(config);
    } else {
      config = await discovery(new URL(issuer), introspection.clientId, undefined, auth, {
        execute: insecure ? [allowInsecureRequests] : [],
        timeout: this.options.httpTimeoutMs / 1000,
      });
    }
    config.timeout = this.options.httpTimeoutMs / 1000;
    return config;
  }
}

/** A compact JWS has three base64url parts; anything else is treated as opaque. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
