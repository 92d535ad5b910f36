import { describe, expect, it } from '@jest/globals';
import type { VerifiedSecurityEvent } from './security-event.js';
import {
  RUN_REVOKING_EVENT_TYPES,
  SECEVENT_BASE,
  SecurityEventEffect,
  readSecurityEvent,
  securityEventEffect,
} from './security-event-reading.js';

const IDP = 'https://idp.example.com';
const T = (type: string) => SECEVENT_BASE + type;

function event(
  subId: unknown,
  events: { type: string; claims?: Record<string, unknown> }[] = [{ type: T('caep/event-type/session-revoked') }],
): VerifiedSecurityEvent {
  return {
    issuer: IDP,
    subjectIssuer: IDP,
    tenant: 'default',
    jti: 'j1',
    issuedAt: 1_800_000_000,
    events: events.map((e) => ({ type: e.type, claims: e.claims ?? {} })),
    ...(subId !== undefined && { subId }),
    delivery: 'push',
  };
}

describe('securityEventEffect (SPEC §10.3 table)', () => {
  it.each([
    'caep/event-type/session-revoked',
    'caep/event-type/credential-change',
    'risc/event-type/account-disabled',
    'risc/event-type/account-purged',
    'risc/event-type/credential-compromise',
    'risc/event-type/sessions-revoked',
    'risc/event-type/account-credential-change-required',
    'oauth/event-type/tokens-revoked',
    'oauth/event-type/token-revoked',
  ])('%s revokes runs and cuts off older tokens', (type) => {
    expect(securityEventEffect(T(type))).toBe(SecurityEventEffect.RevokeAndCutOff);
  });

  it('token-claims-change revokes runs without a cut-off', () => {
    expect(securityEventEffect(T('caep/event-type/token-claims-change'))).toBe(SecurityEventEffect.Revoke);
  });

  it.each([
    T('ssf/event-type/verification'),
    T('caep/event-type/assurance-level-change'),
    T('risc/event-type/account-enabled'),
    'https://example.com/caep/event-type/session-revoked', // right suffix, wrong base
    'caep/event-type/session-revoked', // no base at all
    '',
  ])('%s does nothing', (type) => {
    expect(securityEventEffect(type)).toBe(SecurityEventEffect.None);
  });

  it('the revoking types are the full URIs of the ten types that revoke runs', () => {
    expect(RUN_REVOKING_EVENT_TYPES).toHaveLength(10);
    expect(RUN_REVOKING_EVENT_TYPES).toContain(T('caep/event-type/token-claims-change'));
    expect(RUN_REVOKING_EVENT_TYPES).not.toContain(T('ssf/event-type/verification'));
  });
});

describe('readSecurityEvent: subject identifiers (RFC 9493, within subjectIssuer)', () => {
  const subjectsOf = (subId: unknown) => readSecurityEvent(event(subId)).subjects;

  it('iss_sub of the subject issuer names that sub', () => {
    expect(subjectsOf({ format: 'iss_sub', iss: IDP, sub: 'alice' })).toEqual([{ kind: 'sub', value: 'alice' }]);
  });

  it('iss_sub of another issuer names nobody', () => {
    expect(subjectsOf({ format: 'iss_sub', iss: 'https://other.example.com', sub: 'alice' })).toEqual([]);
  });

  it('opaque names (subjectIssuer, id)', () => {
    expect(subjectsOf({ format: 'opaque', id: 'u-42' })).toEqual([{ kind: 'sub', value: 'u-42' }]);
  });

  it('email names the users with that email, case-insensitively (lower-cased here)', () => {
    expect(subjectsOf({ format: 'email', email: 'Alice@Example.COM' })).toEqual([
      { kind: 'email', value: 'alice@example.com' },
    ]);
  });

  it('complex names its user, narrowed to the session of its session member', () => {
    expect(
      subjectsOf({
        format: 'complex',
        user: { format: 'iss_sub', iss: IDP, sub: 'alice' },
        session: { format: 'opaque', id: 'sid-1' },
      }),
    ).toEqual([{ kind: 'sub', value: 'alice', sid: 'sid-1' }]);
  });

  it('complex without a session names every session of its user', () => {
    expect(subjectsOf({ format: 'complex', user: { format: 'email', email: 'a@x.io' } })).toEqual([
      { kind: 'email', value: 'a@x.io' },
    ]);
  });

  it('complex with an unreadable session does not narrow (revoking more is the safe side)', () => {
    expect(
      subjectsOf({ format: 'complex', user: { format: 'opaque', id: 'u' }, session: { format: 'uri', uri: 'x' } }),
    ).toEqual([{ kind: 'sub', value: 'u' }]);
  });

  it('complex without a user names nobody', () => {
    expect(subjectsOf({ format: 'complex', session: { format: 'opaque', id: 's' } })).toEqual([]);
  });

  it('aliases name each of their identifiers, once each', () => {
    expect(
      subjectsOf({
        format: 'aliases',
        identifiers: [
          { format: 'iss_sub', iss: IDP, sub: 'alice' },
          { format: 'email', email: 'alice@example.com' },
          { format: 'opaque', id: 'alice' }, // the same (sub, alice) again
          { format: 'iss_sub', iss: 'https://elsewhere', sub: 'bob' },
        ],
      }),
    ).toEqual([
      { kind: 'sub', value: 'alice' },
      { kind: 'email', value: 'alice@example.com' },
    ]);
  });

  it('aliases inside aliases are not followed', () => {
    expect(
      subjectsOf({
        format: 'aliases',
        identifiers: [{ format: 'aliases', identifiers: [{ format: 'opaque', id: 'x' }] }],
      }),
    ).toEqual([]);
  });

  it.each([
    ['phone_number', { format: 'phone_number', phone_number: '+15555550100' }],
    ['account', { format: 'account', uri: 'acct:alice@example.com' }],
    ['did', { format: 'did', url: 'did:example:123' }],
    ['uri', { format: 'uri', uri: 'https://example.com/u/1' }],
    ['no format', { sub: 'alice' }],
    ['a string', 'alice'],
    ['null', null],
    ['an array', [{ format: 'opaque', id: 'x' }]],
    ['iss_sub without sub', { format: 'iss_sub', iss: IDP }],
    ['iss_sub with a numeric sub', { format: 'iss_sub', iss: IDP, sub: 42 }],
    ['opaque with an empty id', { format: 'opaque', id: '' }],
    ['email without email', { format: 'email' }],
  ])('%s matches nothing', (_, subId) => {
    expect(subjectsOf(subId)).toEqual([]);
  });

  it('reports the format, or null without one', () => {
    expect(readSecurityEvent(event({ format: 'opaque', id: 'x' })).subjectFormat).toBe('opaque');
    expect(readSecurityEvent(event({ format: 'phone_number', phone_number: '1' })).subjectFormat).toBe('phone_number');
    expect(readSecurityEvent(event(undefined)).subjectFormat).toBeNull();
  });

  it('userId is the sub the event names, else null', () => {
    expect(readSecurityEvent(event({ format: 'iss_sub', iss: IDP, sub: 'alice' })).userId).toBe('alice');
    expect(readSecurityEvent(event({ format: 'email', email: 'a@x.io' })).userId).toBeNull();
  });
});

describe('readSecurityEvent: RISC 1.0 subjects inside the event', () => {
  const risc = (subject: unknown) =>
    readSecurityEvent(event(undefined, [{ type: T('risc/event-type/account-disabled'), claims: { subject } }]));

  it('iss-sub', () => {
    const reading = risc({ subject_type: 'iss-sub', iss: IDP, sub: 'alice' });
    expect(reading.subjects).toEqual([{ kind: 'sub', value: 'alice' }]);
    expect(reading.subjectFormat).toBe('iss-sub');
  });

  it('email', () => {
    expect(risc({ subject_type: 'email', email: 'Bob@X.io' }).subjects).toEqual([{ kind: 'email', value: 'bob@x.io' }]);
  });

  it('id_token_claims with iss and sub', () => {
    expect(risc({ subject_type: 'id_token_claims', iss: IDP, sub: 'carol', email: 'c@x.io' }).subjects).toEqual([
      { kind: 'sub', value: 'carol' },
    ]);
  });

  it('id_token_claims of another issuer names nobody, even with an email', () => {
    expect(
      risc({ subject_type: 'id_token_claims', iss: 'https://other', sub: 'carol', email: 'c@x.io' }).subjects,
    ).toEqual([]);
  });

  it('id_token_claims with only an email', () => {
    expect(risc({ subject_type: 'id_token_claims', email: 'c@x.io' }).subjects).toEqual([
      { kind: 'email', value: 'c@x.io' },
    ]);
  });

  it('an unknown subject_type names nobody', () => {
    expect(risc({ subject_type: 'phone', phone: '1' }).subjects).toEqual([]);
  });

  it('the SET-level sub_id wins over the event subject', () => {
    const reading = readSecurityEvent(
      event({ format: 'opaque', id: 'top' }, [
        { type: T('risc/event-type/account-disabled'), claims: { subject: { subject_type: 'email', email: 'x@y.z' } } },
      ]),
    );
    expect(reading.subjects).toEqual([{ kind: 'sub', value: 'top' }]);
  });
});

describe('readSecurityEvent: which event decides, and the cut-off time', () => {
  it('the strongest effect decides, the first one on a tie', () => {
    const reading = readSecurityEvent(
      event({ format: 'opaque', id: 'u' }, [
        { type: T('ssf/event-type/verification') },
        { type: T('caep/event-type/token-claims-change') },
        { type: T('risc/event-type/account-disabled'), claims: { event_timestamp: 1_800_000_100 } },
        { type: T('caep/event-type/session-revoked'), claims: { event_timestamp: 1 } },
      ]),
    );
    expect(reading.eventType).toBe(T('risc/event-type/account-disabled'));
    expect(reading.effect).toBe(SecurityEventEffect.RevokeAndCutOff);
    expect(reading.cutOffBefore.toISOString()).toBe(new Date(1_800_000_100_000).toISOString());
  });

  it('an unknown type alone does nothing and is reported as itself', () => {
    const reading = readSecurityEvent(event({ format: 'opaque', id: 'u' }, [{ type: 'urn:example:custom' }]));
    expect(reading.eventType).toBe('urn:example:custom');
    expect(reading.effect).toBe(SecurityEventEffect.None);
  });

  it("without event_timestamp the cut-off is the SET's iat", () => {
    expect(readSecurityEvent(event({ format: 'opaque', id: 'u' })).cutOffBefore.getTime()).toBe(1_800_000_000_000);
  });

  it('a non-numeric event_timestamp falls back to iat', () => {
    const reading = readSecurityEvent(
      event({ format: 'opaque', id: 'u' }, [
        { type: T('caep/event-type/session-revoked'), claims: { event_timestamp: '2026-01-01' } },
      ]),
    );
    expect(reading.cutOffBefore.getTime()).toBe(1_800_000_000_000);
  });
});
