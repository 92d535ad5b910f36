import { describe, expect, it } from '@jest/globals';
import { ApiScopeKey, type Caller } from '@baton/platform';
import { approvalRefusal, type ApprovalDecisionInput } from './approval-policy.js';

/** A caller that holds escalationsResolve or nothing. */
const caller = (issuer: string, subject: string, resolver: boolean): Caller => ({
  tenant: 'default',
  issuer,
  subject,
  scopes: [],
  expiresAt: new Date(0),
  may: (key) => resolver && key === ApiScopeKey.EscalationsResolve,
});

describe('approvalRefusal (issue 10 item 8)', () => {
  const run = { userIss: 'https://idp', userSub: 'alice' };
  const base = (over: Partial<ApprovalDecisionInput>): ApprovalDecisionInput => ({
    reason: 'approval_required',
    action: 'approve',
    run,
    caller: caller('https://idp', 'olga', true),
    requireResolveScope: true,
    ...over,
  });

  it('allows everything when the option is off', () => {
    expect(
      approvalRefusal(base({ requireResolveScope: false, caller: caller('https://idp', 'alice', false) })),
    ).toBeNull();
  });

  it('lets an operator with the scope approve and reject', () => {
    expect(approvalRefusal(base({}))).toBeNull();
    expect(approvalRefusal(base({ action: 'reject' }))).toBeNull();
  });

  it('refuses approve and reject without the scope', () => {
    for (const action of ['approve', 'reject']) {
      expect(approvalRefusal(base({ action, caller: caller('https://idp', 'alice', false) }))).toMatch(
        /escalationsResolve/,
      );
    }
  });

  it("refuses the run's own user approving, even with the scope; the same sub of another issuer is someone else", () => {
    expect(approvalRefusal(base({ caller: caller('https://idp', 'alice', true) }))).toMatch(/own run/);
    expect(approvalRefusal(base({ action: 'reject', caller: caller('https://idp', 'alice', true) }))).toBeNull();
    expect(approvalRefusal(base({ caller: caller('https://other', 'alice', true) }))).toBeNull();
  });

  it('leaves abort and token escalations to the run owner', () => {
    const owner = caller('https://idp', 'alice', false);
    expect(approvalRefusal(base({ action: 'abort', caller: owner }))).toBeNull();
    expect(approvalRefusal(base({ reason: 'token_expired', action: 'resume', caller: owner }))).toBeNull();
    expect(approvalRefusal(base({ action: undefined, caller: owner }))).toBeNull();
  });
});
