import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';

/** What a request proved: the token's claims that matter here (never the token itself). */
export interface VerifiedAccess {
  sub: string;
  aud: string | string[];
  scopes: string[];
  act: unknown;
  clientId: unknown;
}

/** Why a request is refused, as RFC 6750 puts it; `status` is 401, 403 or 503. */
export class AccessDenied extends Error {
  constructor(
    readonly status: 401 | 403 | 503,
    readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable',
    description: string,
    /** The claims seen, when the token itself was valid (a 403). */
    readonly access?: VerifiedAccess,
  ) {
    super(description);
  }
}

const ASYMMETRIC_ALGORITHMS = [
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
];

/**
 * Checks `Authorization: Bearer <JWT>` the way a resource server should (RFC 9068): signature
 * against the issuer's JWKS, `iss`, `aud` containing this API's audience, `exp` required,
 * `typ: at+jwt`, asymmetric algorithms only; then the scope a route needs.
 */
export class AccessTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly issuer: string,
    jwksUrl: string,
    private readonly audience: string,
  ) {
    this.keys = createRemoteJWKSet(new URL(jwksUrl));
  }

  async verify(authorization: string | undefined, requiredScope: string): Promise<VerifiedAccess> {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization ?? '');
    if (!match) throw new AccessDenied(401, 'invalid_request', 'a Bearer token is required');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, this.keys, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ASYMMETRIC_ALGORITHMS,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
      }));
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || (err instanceof TypeError && /fetch/i.test(err.message))) {
        throw new AccessDenied(503, 'temporarily_unavailable', `the issuer's keys cannot be fetched (${err.message})`);
      }
      throw new AccessDenied(401, 'invalid_token', err instanceof Error ? err.message : 'the token is not valid');
    }
    const access: VerifiedAccess = {
      sub: String(payload.sub),
      aud: payload.aud ?? [],
      scopes: scopesOf(payload),
      act: payload.act ?? null,
      clientId: payload.client_id ?? null,
    };
    if (!access.scopes.includes(requiredScope)) {
      throw new AccessDenied(403, 'insufficient_scope', `this route needs the scope ${requiredScope}`, access);
    }
    return access;
  }
}

/** `scope` (space-separated) or `scp` (array). */
function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  return [];
}
