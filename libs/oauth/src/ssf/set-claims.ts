import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import { INBOUND_TOKEN_ALGORITHMS } from '../inbound/inbound-token-verifier.js';
import { SetErrorCode, SetRefusal } from './set-refusal.js';

/** SETs are signed with asymmetric keys only (SPEC §10.2), the same list as user tokens; `none` and HS* are `invalid_key`. */
export const SET_ALGORITHMS: string[] = [...INBOUND_TOKEN_ALGORITHMS];

const SET_TYPES = new Set(['secevent+jwt', 'application/secevent+jwt']);

/** How far ahead of our clock a SET's `iat` may be. */
export const MAX_IAT_AHEAD_SECONDS = 300;

/** SPEC §10.2 checks of a SET's protected header, before any key is looked at. */
export function checkSetHeader(header: ProtectedHeaderParameters, requireTyp: boolean): void {
  if (typeof header.alg !== 'string' || !SET_ALGORITHMS.includes(header.alg))
    throw new SetRefusal(SetErrorCode.InvalidKey, `alg ${String(header.alg)} is not an asymmetric signature algorithm`);
  if (header.typ === undefined) {
    if (requireTyp) throw new SetRefusal(SetErrorCode.InvalidRequest, 'the typ header is required (secevent+jwt)');
    return;
  }
  if (typeof header.typ !== 'string' || !SET_TYPES.has(header.typ.toLowerCase()))
    throw new SetRefusal(SetErrorCode.InvalidRequest, 'typ must be secevent+jwt');
}

/** SPEC §10.2 checks of a verified SET's claims (`aud` and `iss` are the verifier's). */
export function checkSetClaims(payload: JWTPayload, nowSeconds: number): { events: Record<string, unknown> } {
  if ('sub' in payload) throw new SetRefusal(SetErrorCode.InvalidRequest, 'a SET carries no sub claim (use sub_id)');
  if ('exp' in payload) throw new SetRefusal(SetErrorCode.InvalidRequest, 'a SET carries no exp claim');
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat))
    throw new SetRefusal(SetErrorCode.InvalidRequest, 'iat is required');
  if (payload.iat > nowSeconds + MAX_IAT_AHEAD_SECONDS)
    throw new SetRefusal(SetErrorCode.InvalidRequest, 'iat is more than 5 minutes in the future');
  if (typeof payload.jti !== 'string' || payload.jti === '')
    throw new SetRefusal(SetErrorCode.InvalidRequest, 'jti is required');
  const events = (payload as { events?: unknown }).events;
  if (typeof events !== 'object' || events === null || Array.isArray(events) || Object.keys(events).length === 0)
    throw new SetRefusal(SetErrorCode.InvalidRequest, 'events must be an object with at least one event');
  return { events: events as Record<string, unknown> };
}
