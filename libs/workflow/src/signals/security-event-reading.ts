import type { VerifiedSecurityEvent } from './security-event.js';

/** Event type URIs live under this base (SPEC §10.3). */
export const SECEVENT_BASE = 'https://schemas.openid.net/secevent/';

/** What an event type does to the subject's runs and inbound tokens (SPEC §10.3 table). */
export const SecurityEventEffect = {
  /** The subject's runs are revoked and its older inbound tokens cut off. */
  RevokeAndCutOff: 'revoke_and_cut_off',
  /** The subject's runs are revoked (claims changed: a fresh token is needed); no cut-off. */
  Revoke: 'revoke',
  /** Accepted and audited, nothing else (verification, and every type not in the table). */
  None: 'none',
} as const;
export type SecurityEventEffect = (typeof SecurityEventEffect)[keyof typeof SecurityEventEffect];

const EFFECT_OF_TYPE: Readonly<Record<string, SecurityEventEffect>> = {
  'caep/event-type/session-revoked': SecurityEventEffect.RevokeAndCutOff,
  'caep/event-type/credential-change': SecurityEventEffect.RevokeAndCutOff,
  'risc/event-type/account-disabled': SecurityEventEffect.RevokeAndCutOff,
  'risc/event-type/account-purged': SecurityEventEffect.RevokeAndCutOff,
  'risc/event-type/credential-compromise': SecurityEventEffect.RevokeAndCutOff,
  'risc/event-type/sessions-revoked': SecurityEventEffect.RevokeAndCutOff,
  'risc/event-type/account-credential-change-required': SecurityEventEffect.RevokeAndCutOff,
  'oauth/event-type/tokens-revoked': SecurityEventEffect.RevokeAndCutOff,
  'oauth/event-type/token-revoked': SecurityEventEffect.RevokeAndCutOff,
  'caep/event-type/token-claims-change': SecurityEventEffect.Revoke,
  'ssf/event-type/verification': SecurityEventEffect.None,
};

/** The types that revoke runs, as full URIs: what Baton asks a managed stream for (SPEC §10.1). */
export const RUN_REVOKING_EVENT_TYPES: readonly string[] = Object.entries(EFFECT_OF_TYPE)
  .filter(([, effect]) => effect !== SecurityEventEffect.None)
  .map(([type]) => SECEVENT_BASE + type);

export function securityEventEffect(type: string): SecurityEventEffect {
  if (!type.startsWith(SECEVENT_BASE)) return SecurityEventEffect.None;
  return EFFECT_OF_TYPE[type.slice(SECEVENT_BASE.length)] ?? SecurityEventEffect.None;
}

/**
 * Whose runs and tokens an event names, within the transmitter's `subjectIssuer`: a user by `sub`
 * or by `email` (lower-cased), narrowed to one session (`sid`) when the subject names one.
 */
export interface SubjectMatch {
  kind: 'sub' | 'email';
  value: string;
  sid?: string;
}

/** One SET, read: the event that decides, its effect, whom it names, and from when tokens are cut off. */
export interface SecurityEventReading {
  /** The member of `events` with the strongest effect (the first of them on a tie). */
  eventType: string;
  effect: SecurityEventEffect;
  /** The identifier's `format` (RFC 9493), or the RISC 1.0 `subject_type`; null when there is none. */
  subjectFormat: string | null;
  /** Empty when the identifier names nobody of `subjectIssuer` (or is of a format Baton does not match). */
  subjects: SubjectMatch[];
  /** Tokens issued before this (the event's `event_timestamp`, else the SET's `iat`) are cut off. */
  cutOffBefore: Date;
  /** The `sub` the event names, when it names one: the audit entry's `userId`. */
  userId: string | null;
}

const STRENGTH: Readonly<Record<SecurityEventEffect, number>> = {
  [SecurityEventEffect.RevokeAndCutOff]: 2,
  [SecurityEventEffect.Revoke]: 1,
  [SecurityEventEffect.None]: 0,
};

/** SPEC §10.2–10.3 as a pure function of a verified SET. */
export function readSecurityEvent(event: VerifiedSecurityEvent): SecurityEventReading {
  let chosen = event.events[0]!;
  let effect = securityEventEffect(chosen.type);
  for (const candidate of event.events.slice(1)) {
    const candidateEffect = securityEventEffect(candidate.type);
    if (STRENGTH[candidateEffect] > STRENGTH[effect]) [chosen, effect] = [candidate, candidateEffect];
  }
  const identifier = event.subId !== undefined ? event.subId : chosen.claims.subject;
  const subjects = dedupe(matchesOf(identifier, event.subjectIssuer, 0));
  const timestamp = chosen.claims.event_timestamp;
  const cutOffSeconds = typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : event.issuedAt;
  return {
    eventType: chosen.type,
    effect,
    subjectFormat: formatOf(identifier),
    subjects,
    cutOffBefore: new Date(cutOffSeconds * 1000),
    userId: subjects.find((s) => s.kind === 'sub')?.value ?? null,
  };
}

function formatOf(identifier: unknown): string | null {
  if (!isObject(identifier)) return null;
  if (typeof identifier.format === 'string') return identifier.format;
  if (typeof identifier.subject_type === 'string') return identifier.subject_type;
  return null;
}

/** RFC 9493 formats and the RISC 1.0 `subject_type` ones; `depth` stops aliases inside aliases. */
function matchesOf(identifier: unknown, subjectIssuer: string, depth: number): SubjectMatch[] {
  if (!isObject(identifier)) return [];
  const format = typeof identifier.format === 'string' ? identifier.format : legacyFormat(identifier.subject_type);
  switch (format) {
    case 'iss_sub':
      return identifier.iss === subjectIssuer && nonEmpty(identifier.sub)
        ? [{ kind: 'sub', value: identifier.sub }]
        : [];
    case 'opaque':
      return nonEmpty(identifier.id) ? [{ kind: 'sub', value: identifier.id }] : [];
    case 'email':
      return nonEmpty(identifier.email) ? [{ kind: 'email', value: identifier.email.toLowerCase() }] : [];
    case 'id_token_claims':
      // RISC 1.0: the ID token's claims; `iss` + `sub` when present, else its `email`.
      if (identifier.iss !== undefined || identifier.sub !== undefined)
        return identifier.iss === subjectIssuer && nonEmpty(identifier.sub)
          ? [{ kind: 'sub', value: identifier.sub }]
          : [];
      return nonEmpty(identifier.email) ? [{ kind: 'email', value: identifier.email.toLowerCase() }] : [];
    case 'complex': {
      const users = matchesOf(identifier.user, subjectIssuer, depth + 1);
      const sid = sessionId(identifier.session);
      return sid === undefined ? users : users.map((user) => ({ ...user, sid }));
    }
    case 'aliases':
      if (depth > 0 || !Array.isArray(identifier.identifiers)) return [];
      return identifier.identifiers.flatMap((alias) => matchesOf(alias, subjectIssuer, depth + 1));
    default:
      return [];
  }
}

function legacyFormat(subjectType: unknown): string | undefined {
  switch (subjectType) {
    case 'iss-sub':
      return 'iss_sub';
    case 'email':
      return 'email';
    case 'id_token_claims':
      return 'id_token_claims';
    default:
      return undefined;
  }
}

/**
 * A complex subject's `session` member: an `opaque` identifier whose `id` is the session id (the
 * token's `sid`). A session member Baton cannot read does not narrow: revoking all of the user's
 * runs is the safe side.
 */
function sessionId(session: unknown): string | undefined {
  if (!isObject(session)) return undefined;
  if (nonEmpty(session.id)) return session.id;
  if (nonEmpty(session.sid)) return session.sid;
  return undefined;
}

function dedupe(matches: SubjectMatch[]): SubjectMatch[] {
  const seen = new Map<string, SubjectMatch>();
  for (const match of matches) seen.set(JSON.stringify([match.kind, match.value, match.sid ?? null]), match);
  return [...seen.values()];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
