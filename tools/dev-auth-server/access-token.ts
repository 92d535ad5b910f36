import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { SigningKey } from './signing-key.js';

/** Claims of the JWT access tokens this server issues (RFC 9068 shape plus `act` for exchanges). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function newJti(): string {
  return randomUUID();
}

/** `aud` as a single string when there is one audience (what most verifiers and tests expect). */
export function audienceClaim(audiences: readonly string[]): string | string[] {
  return audiences.length === 1 ? audiences[0]! : [...audiences];
}

/** Signs an RFC 9068 access token (`typ: at+jwt`) with the server's key. */
export async function signAccessToken(key: SigningKey, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
}

/** A verified token of this server: `sub` and `exp` are guaranteed, everything else may vary. */
export type VerifiedToken = JWTPayload & { sub: string; exp: number };

/**
 * Verifies a token this server signed: signature against its own public key, `iss` = this issuer,
 * `exp` present and in the future (jose only checks `exp` when it is present, hence
 * `requiredClaims`), `sub` present. Throws a jose error otherwise.
 */
export async function verifyOwnToken(key: SigningKey, issuer: string, token: string): Promise<VerifiedToken> {
  const { payload } = await jwtVerify(token, key.publicKey, {
    issuer,
    algorithms: [key.alg],
    requiredClaims: ['exp', 'sub'],
  });
  return payload as VerifiedToken;
}

/** The scopes a token carries: the `scope` claim (space-separated) or, failing that, `scp` (array). */
export function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return splitScope(payload.scope);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string' && s !== '');
  return [];
}

/** Splits a space-separated scope string into distinct scope tokens, keeping their order. */
export function splitScope(scope: string): string[] {
  return [...new Set(scope.split(' ').filter(Boolean))];
}
