import { describe, expect, it } from '@jest/globals';
import { approvalRefusal, type ApprovalDecisionInput } from './approval-policy.js';

describe('approvalRefusal (issue 10 item 8)', () => {
  const run = { userIss: 'https://idp', userSub: 'alice' };
  const base = (over: Partial<ApprovalDecisionInput>): ApprovalDecisionInput => ({
    reason: 'approval_required',
    action: 'approve',
    run,
    caller: { issuer: 'https://idp', subject: 'olga', canResolveAll: true },
    requireResolveScope: true,
    ...over,
  });

  it('allows everything when the option is off', () => {
    expect(
      approvalRefusal(
        base({ requireResolveScope: false, caller: { issuer: 'https://idp', subject: 'alice', canResolveAll: false } }),
      ),
    ).toBeNull();
  });

  it('lets an operator with the scope approve and reject', () => {
    expect(approvalRefusal(base({}))).toBeNull();
    expect(approvalRefusal(base({ action: 'reject' }))).toBeNull();
  });

  it('refuses approve and reject without the scope', () => {
    for (const action of ['approve', 'reject']) {
      expect(
        approvalRefusal(base({ action, caller: { issuer: 'https://idp', subject: 'alice', canResolveAll: false } })),
      ).toMatch(/escalationsResolve/);
    }
  });

  it("refuses the run's own user approving, even with the scope; the same sub of another issuer is someone else", () => {
    expect(approvalRefusal(base({ caller: { issuer: 'https://idp', subject: 'alice', canResolveAll: true } }))).toMatch(
      /own run/,
    );
    expect(
      approvalRefusal(
        base({ action: 'reject', caller: { issuer: 'https://idp', subject: 'alice', canResolveAll: true } }),
      ),
    ).toBeNull();
    expect(
      approvalRefusal(base({ caller: { issuer: 'https://other', subject: 'alice', canResolveAll: true } })),
    ).toBeNull();
  });

  it('leaves abort and token escalations to the run owner', () => {
    const owner = { issuer: 'https://idp', subject: 'alice', canResolveAll: false };
    expect(approvalRefusal(base({ action: 'abort', caller: owner }))).toBeNull();
    expect(approvalRefusal(base({ reason: 'token_expired', action: 'resume', caller: owner }))).toBeNull();
    expect(approvalRefusal(base({ action: undefined, caller: owner }))).toBeNull();
  });
});
