import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import { audienceClaim, newJti, nowSeconds, signAccessToken, splitScope } from './access-token.js';
import type { Faults, FaultsState, TokenEndpointFault } from './faults.js';
import { HttpError, readJsonBody, sendJson, sendNoContent } from './http-json.js';
import type { RevocationRegistry } from './revocation-registry.js';
import type { SigningKey } from './signing-key.js';
import type { SessionEventTransmitter } from './ssf-transmitter.js';
import type { Stats } from './stats.js';

/**
 * The dev-only admin surface (mounted under /admin only in dev mode): mint user tokens, revoke a
 * subject's tokens, inject faults, read request statistics. JSON in, JSON out.
 */

export const ADMIN_PATH = '/admin';
/** Audience every minted user token carries: the product's API. */
export const USER_TOKEN_AUDIENCE = 'baton-api';
/** `client_id` of minted user tokens (no such client is registered). */
export const ADMIN_CLIENT_ID = 'dev-admin';
const DEFAULT_USER_TOKEN_TTL_SECONDS = 3600;

export interface AdminDependencies {
  issuer: string;
  key: SigningKey;
  revocations: RevocationRegistry;
  faults: Faults;
  stats: Stats;
  signals: SessionEventTransmitter;
}

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export function adminHandler(deps: AdminDependencies): AdminHandler {
  return async (req, res, path) => {
    try {
      await route(deps, req, res, path);
    } catch (err) {
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.error, error_description: err.message });
      } else {
        sendJson(res, 500, { error: 'server_error', error_description: 'unexpected error' });
      }
    }
  };
}

async function route(deps: AdminDependencies, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const key = `${req.method ?? ''} ${path.replace(/\/+$/, '')}`;
  switch (key) {
    case `POST ${ADMIN_PATH}/tokens`:
      return sendJson(res, 200, await mintUserToken(deps, await readJsonBody(req)));
    case `POST ${ADMIN_PATH}/revoke`: {
      const body = asObject(await readJsonBody(req), ['sub']);
      deps.revocations.revokeSubject(nonEmptyString(body.sub, 'sub'));
      return sendNoContent(res);
    }
    case `POST ${ADMIN_PATH}/sessions/revoke`: {
      // A session ended at the IdP: its tokens stop working here, and Shared Signals receivers hear of it.
      const body = asObject(await readJsonBody(req), ['sub']);
      const sub = nonEmptyString(body.sub, 'sub');
      const revokedTokens = deps.revocations.revokeSubject(sub);
      return sendJson(res, 200, { revokedTokens, pushed: await deps.signals.sessionRevoked(sub) });
    }
    case `GET ${ADMIN_PATH}/faults`:
      return sendJson(res, 200, deps.faults.state());
    case `POST ${ADMIN_PATH}/faults`:
      deps.faults.update(parseFaults(await readJsonBody(req)));
      return sendJson(res, 200, deps.faults.state());
    case `DELETE ${ADMIN_PATH}/faults`:
      deps.faults.clear();
      return sendNoContent(res);
    case `GET ${ADMIN_PATH}/stats`:
      return sendJson(res, 200, deps.stats.snapshot());
    case `POST ${ADMIN_PATH}/stats/reset`:
      deps.stats.reset();
      return sendNoContent(res);
    default:
      throw new HttpError(404, 'not_found', `no admin endpoint ${key}`);
  }
}

/**
 * POST /admin/tokens: a "user token" as a real sign-in would give the product. `claims` are merged
 * over the standard claims (a `null` value removes one), so tests can craft unusual tokens.
 */
async function mintUserToken(deps: AdminDependencies, input: unknown) {
  const body = asObject(input, ['sub', 'scope', 'expiresIn', 'aud', 'claims']);
  const sub = nonEmptyString(body.sub, 'sub');
  const scopes = parseScope(body.scope);
  const expiresIn =
    body.expiresIn === undefined ? DEFAULT_USER_TOKEN_TTL_SECONDS : integer(body.expiresIn, 'expiresIn');
  const aud = [USER_TOKEN_AUDIENCE, ...stringOrList(body.aud ?? [], 'aud')];
  const extra = body.claims === undefined ? {} : asObject(body.claims);

  const iat = nowSeconds();
  const standard: JWTPayload = {
    iss: deps.issuer,
    sub,
    aud: audienceClaim([...new Set(aud)]),
    scope: scopes.join(' '),
    client_id: ADMIN_CLIENT_ID,
    jti: newJti(),
    iat,
    exp: iat + expiresIn,
  };
  const claims: JWTPayload = { ...standard, ...extra };
  for (const [name, value] of Object.entries(claims)) if (value === null) delete claims[name];

  const accessToken = await signAccessToken(deps.key, claims);
  if (typeof claims.sub === 'string' && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
    deps.revocations.recordIssued(claims.sub, claims.jti, claims.exp);
  }
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: typeof claims.exp === 'number' ? claims.exp - iat : expiresIn,
    jti: claims.jti,
  };
}

/** POST /admin/faults body: fields present are set, `null` clears one, absent ones stay. */
function parseFaults(input: unknown): Partial<FaultsState> {
  const body = asObject(input, ['tokenEndpoint', 'widenScope', 'dropScope', 'slowTokenEndpoint']);
  const changes: Partial<FaultsState> = {};
  if (body.tokenEndpoint !== undefined) {
    changes.tokenEndpoint = body.tokenEndpoint === null ? null : parseTokenEndpointFault(body.tokenEndpoint);
  }
  if (body.widenScope !== undefined) {
    changes.widenScope = body.widenScope === null ? null : scopeToken(body.widenScope, 'widenScope');
  }
  if (body.dropScope !== undefined) {
    changes.dropScope = body.dropScope === null ? null : scopeToken(body.dropScope, 'dropScope');
  }
  if (body.slowTokenEndpoint !== undefined) {
    if (body.slowTokenEndpoint === null) {
      changes.slowTokenEndpoint = null;
    } else {
      const slow = asObject(body.slowTokenEndpoint, ['delayMs', 'times']);
      changes.slowTokenEndpoint = {
        delayMs: integer(slow.delayMs, 'slowTokenEndpoint.delayMs'),
        times: integer(slow.times, 'slowTokenEndpoint.times'),
      };
    }
  }
  return changes;
}

function parseTokenEndpointFault(input: unknown): TokenEndpointFault {
  const body = asObject(input, ['status', 'times', 'retryAfter', 'body'], 'tokenEndpoint');
  const status = integer(body.status, 'tokenEndpoint.status');
  if (status < 400 || status > 599) throw badRequest('tokenEndpoint.status must be an HTTP error status (400-599)');
  const times = integer(body.times, 'tokenEndpoint.times');
  if (times < 1) throw badRequest('tokenEndpoint.times must be at least 1');
  const fault: TokenEndpointFault = { status, times };
  if (body.retryAfter !== undefined) {
    fault.retryAfter = integer(body.retryAfter, 'tokenEndpoint.retryAfter');
    if (fault.retryAfter < 0) throw badRequest('tokenEndpoint.retryAfter must not be negative');
  }
  if (body.body !== undefined) fault.body = asObject(body.body, undefined, 'tokenEndpoint.body');
  return fault;
}

// --- input checks: each throws a 400 naming the field -------------------------------------------

function badRequest(description: string): HttpError {
  return new HttpError(400, 'invalid_request', description);
}

function asObject(value: unknown, allowedKeys?: readonly string[], name = 'body'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest(`${name} must be a JSON object`);
  if (allowedKeys) {
    const unknown = Object.keys(value).filter((k) => !allowedKeys.includes(k));
    if (unknown.length > 0) throw badRequest(`${name} has unknown field(s): ${unknown.join(', ')}`);
  }
  return value as Record<string, unknown>;
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${name} must be a non-empty string`);
  return value;
}

function integer(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`${name} must be an integer`);
  return value;
}

function scopeToken(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value)) {
    throw badRequest(`${name} must be a single scope token (no spaces)`);
  }
  return value;
}

function stringOrList(value: unknown, name: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => nonEmptyString(v, Array.isArray(value) ? `${name}[${i}]` : name));
}

/** `scope` as a space-separated string or an array of scope tokens. */
function parseScope(value: unknown): string[] {
  if (typeof value === 'string') return splitScope(value).map((s) => scopeToken(s, 'scope'));
  if (Array.isArray(value)) return [...new Set(value.map((s, i) => scopeToken(s, `scope[${i}]`)))];
  throw badRequest('scope must be a space-separated string or an array of strings');
}
