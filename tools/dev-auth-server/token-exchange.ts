import { errors, type KoaContextWithOIDC, type TokenExchangeHandler } from 'oidc-provider';
import {
  audienceClaim,
  newJti,
  nowSeconds,
  scopesOf,
  signAccessToken,
  splitScope,
  verifyOwnToken,
  type AccessTokenClaims,
  type VerifiedToken,
} from './access-token.js';
import type { Faults } from './faults.js';
import type { RevocationRegistry } from './revocation-registry.js';
import type { SigningKey } from './signing-key.js';
import type { Stats } from './stats.js';

/** RFC 8693 token exchange, registered with oidc-provider as an extension grant. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';

/** oidc-provider strips every parameter a grant does not list. */
export const TOKEN_EXCHANGE_PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
];
/** RFC 8693 §2.1 lets these repeat; oidc-provider rejects any other repeated parameter. */
export const TOKEN_EXCHANGE_REPEATABLE_PARAMETERS = ['audience', 'resource'];

/** This server issues JWT access tokens, so it accepts either type name for them. */
const ACCEPTED_TOKEN_TYPES = new Set([TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT]);

export interface TokenExchangeDependencies {
  issuer: string;
  key: SigningKey;
  revocations: RevocationRegistry;
  faults: Faults;
  stats: Stats;
  /** Lifetime of issued tokens. */
  ttlSeconds: number;
}

/**
 * Builds the grant handler. oidc-provider has already authenticated the client, checked that the
 * grant is allowed for it and rejected repeated non-repeatable parameters when this runs; errors
 * thrown as oidc-provider error classes become OAuth JSON error responses with their status.
 */
export function tokenExchangeHandler(deps: TokenExchangeDependencies): TokenExchangeHandler {
  return async function exchangeToken(ctx: KoaContextWithOIDC): Promise<void> {
    const params = ctx.oidc.params ?? {};
    const clientId = ctx.oidc.client!.clientId;

    const subjectToken = required(params, 'subject_token');
    assertTokenType(required(params, 'subject_token_type'), 'subject_token_type');
    const requestedTokenType = single(params, 'requested_token_type');
    if (requestedTokenType !== undefined) assertTokenType(requestedTokenType, 'requested_token_type');

    const subject = await verifyPresentedToken(deps, subjectToken, 'subject_token');

    // The acting party is always the authenticated client (`act.sub`). An actor token, when sent,
    // must still be a valid token of this server, so a client cannot slip garbage through.
    const actorToken = single(params, 'actor_token');
    const actorTokenType = single(params, 'actor_token_type');
    if ((actorToken === undefined) !== (actorTokenType === undefined)) {
      throw new errors.InvalidRequest('actor_token and actor_token_type must be sent together');
    }
    if (actorToken !== undefined) {
      assertTokenType(actorTokenType!, 'actor_token_type');
      await verifyPresentedToken(deps, actorToken, 'actor_token');
    }

    // Narrowing only: the issued scope is the requested one, which must be covered by the subject's.
    const subjectScopes = scopesOf(subject);
    const requestedScope = single(params, 'scope');
    const requested = requestedScope === undefined ? [] : splitScope(requestedScope);
    const missing = requested.filter((s) => !subjectScopes.includes(s));
    if (missing.length > 0) {
      throw withDescription(
        new errors.InvalidScope('requested scope exceeds the subject token scope'),
        `requested scope exceeds the subject token scope: ${missing.join(' ')}`,
      );
    }
    const granted = requested.length > 0 ? requested : subjectScopes;
    // The widenScope fault simulates a misbehaving server that grants more than was asked for.
    const widen = deps.faults.widenScope;
    const widened = widen && !granted.includes(widen) ? [...granted, widen] : granted;
    // The dropScope fault: a server that grants less than was asked for.
    const issued = widened.filter((s) => s !== deps.faults.dropScope);

    const audience = multiple(params, 'audience');
    const resource = multiple(params, 'resource');
    for (const uri of resource) assertResourceIndicator(uri);
    // Without audience or resource the token keeps the subject token's audience.
    const aud = [...new Set([...audience, ...resource])];
    const audClaim = aud.length > 0 ? audienceClaim(aud) : subject.aud;

    const iat = nowSeconds();
    const claims: AccessTokenClaims = {
      iss: deps.issuer,
      sub: subject.sub,
      ...(audClaim !== undefined ? { aud: audClaim } : {}),
      ...(issued.length > 0 ? { scope: issued.join(' ') } : {}),
      client_id: clientId,
      // RFC 8693 §4.1: a token that was itself exchanged keeps its delegation chain nested.
      act: isObject(subject.act) ? { sub: clientId, act: subject.act } : { sub: clientId },
      jti: newJti(),
      iat,
      exp: iat + deps.ttlSeconds,
    };
    const accessToken = await signAccessToken(deps.key, claims);
    // Exchanged tokens are revoked with their subject too, and may themselves be exchanged.
    deps.revocations.recordIssued(claims.sub, claims.jti, claims.exp);
    deps.stats.recordExchange({
      sub: claims.sub,
      clientId,
      scope: granted.join(' '),
      requestedScope: requestedScope ?? null,
      issuedScope: issued.join(' '),
      audience,
      resource,
      jti: claims.jti,
      at: new Date().toISOString(),
    });

    ctx.body = {
      access_token: accessToken,
      issued_token_type: requestedTokenType ?? TOKEN_TYPE_ACCESS_TOKEN,
      token_type: 'Bearer',
      expires_in: deps.ttlSeconds,
      ...(issued.length > 0 ? { scope: issued.join(' ') } : {}),
    };
  };
}

/**
 * RFC 8693 §2.2.2 names `invalid_request` for an unusable subject token; like many servers we
 * answer `invalid_grant`, which clients treat as "the user's grant is gone".
 */
async function verifyPresentedToken(
  deps: TokenExchangeDependencies,
  token: string,
  name: string,
): Promise<VerifiedToken> {
  let payload: VerifiedToken;
  try {
    payload = await verifyOwnToken(deps.key, deps.issuer, token);
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'not a valid token';
    throw withDescription(new errors.InvalidGrant(), `${name} is invalid: ${reason}`);
  }
  if (deps.revocations.isRevoked(payload.jti)) {
    throw withDescription(new errors.InvalidGrant(), `${name} has been revoked`);
  }
  return payload;
}

/** oidc-provider's InvalidGrant has a fixed description; a precise one helps whoever debugs a client. */
function withDescription<E extends errors.OIDCProviderError>(error: E, description: string): E {
  error.error_description = description;
  return error;
}

type Params = NonNullable<KoaContextWithOIDC['oidc']['params']>;

function single(params: Params, name: string): string | undefined {
  const value = params[name];
  // Repeats of non-repeatable parameters were already rejected by oidc-provider.
  if (typeof value !== 'string' || value === '') return undefined;
  return value;
}

function required(params: Params, name: string): string {
  const value = single(params, name);
  if (value === undefined) throw new errors.InvalidRequest(`missing required parameter '${name}'`);
  return value;
}

function multiple(params: Params, name: string): string[] {
  const value = params[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return [...new Set(values.filter((v) => v !== ''))];
}

function assertTokenType(value: string, name: string): void {
  if (!ACCEPTED_TOKEN_TYPES.has(value)) {
    throw new errors.InvalidRequest(`unsupported ${name}; use ${[...ACCEPTED_TOKEN_TYPES].join(' or ')}`);
  }
}

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
function assertResourceIndicator(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new errors.InvalidTarget('resource must be an absolute URI');
  }
  if (url.hash !== '' || value.includes('#')) throw new errors.InvalidTarget('resource must not contain a fragment');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
