import { describe, expect, it } from '@jest/globals';
import { SubjectCutoffs } from './subject-cutoffs.js';

const IDP = 'https://idp.example.com';
const EVENT = new Date('2026-12-03T12:00:00Z');
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const BEFORE = seconds(EVENT) - 10;
const AFTER = seconds(EVENT) + 10;

function cutoffs(now = EVENT.getTime() + 1000) {
  const clock = { now };
  return { list: new SubjectCutoffs(() => clock.now), clock };
}
const day = (from: Date) => new Date(from.getTime() + 86_400_000);

describe('SubjectCutoffs (SPEC §10.3 cut-off)', () => {
  it('refuses a token of the subject issued before the event, and one without iat', () => {
    const { list } = cutoffs();
    list.add({ issuer: IDP, kind: 'sub', value: 'alice', notBefore: EVENT, expiresAt: day(EVENT) });
    expect(list.refusal(IDP, { sub: 'alice', iat: BEFORE })).toMatch(/security event/);
    expect(list.refusal(IDP, { sub: 'alice' })).toMatch(/security event/);
  });

  it('accepts a token issued after the event, another subject, and another issuer', () => {
    const { list } = cutoffs();
    list.add({ issuer: IDP, kind: 'sub', value: 'alice', notBefore: EVENT, expiresAt: day(EVENT) });
    expect(list.refusal(IDP, { sub: 'alice', iat: AFTER })).toBeNull();
    expect(list.refusal(IDP, { sub: 'bob', iat: BEFORE })).toBeNull();
    expect(list.refusal('https://other.example.com', { sub: 'alice', iat: BEFORE })).toBeNull();
  });

  it('an email cut-off matches the email claim case-insensitively', () => {
    const { list } = cutoffs();
    list.add({ issuer: IDP, kind: 'email', value: 'alice@example.com', notBefore: EVENT, expiresAt: day(EVENT) });
    expect(list.refusal(IDP, { sub: 'u1', email: 'Alice@Example.com', iat: BEFORE })).not.toBeNull();
    expect(list.refusal(IDP, { sub: 'u1', iat: BEFORE })).toBeNull();
  });

  it('a session cut-off refuses only tokens of that session', () => {
    const { list } = cutoffs();
    list.add({ issuer: IDP, kind: 'sub', value: 'alice', sid: 's1', notBefore: EVENT, expiresAt: day(EVENT) });
    expect(list.refusal(IDP, { sub: 'alice', sid: 's1', iat: BEFORE })).not.toBeNull();
    expect(list.refusal(IDP, { sub: 'alice', sid: 's2', iat: BEFORE })).toBeNull();
    expect(list.refusal(IDP, { sub: 'alice', iat: BEFORE })).toBeNull();
  });

  it('the latest event wins for a key', () => {
    const { list } = cutoffs();
    const later = new Date(EVENT.getTime() + 60_000);
    list.add({ issuer: IDP, kind: 'sub', value: 'alice', notBefore: later, expiresAt: day(later) });
    list.add({ issuer: IDP, kind: 'sub', value: 'alice', notBefore: EVENT, expiresAt: day(EVENT) });
    expect(list.refusal(IDP, { sub: 'alice', iat: AFTER })).not.toBeNull();
  });

  it('expires, and forgets what expired', () => {
    const { list, clock } = cutoffs();
    list.add({ issuer: IDP, kind: 'sub', value: 'alice', notBefore: EVENT, expiresAt: day(EVENT) });
    clock.now = day(EVENT).getTime() + 1;
    expect(list.refusal(IDP, { sub: 'alice', iat: BEFORE })).toBeNull();
    expect(list.size).toBe(0);
  });
});
