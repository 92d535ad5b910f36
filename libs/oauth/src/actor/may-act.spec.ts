import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { checkMayAct } from './may-act.js';

const actor = { sub: 'expense-agent', iss: 'https://baton.example.com/agents' };
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));

describe('checkMayAct (RFC 8693 §4.4, SPEC §9.3)', () => {
  it('a token without may_act, or an opaque one, restricts nothing', async () => {
    expect(checkMayAct(await token({ sub: 'alice' }), actor)).toEqual({ ok: true });
    expect(checkMayAct('opaque-token', actor)).toEqual({ ok: true });
  });

  it('accepts may_act naming the actor by sub, and by sub and iss', async () => {
    expect(checkMayAct(await token({ may_act: { sub: 'expense-agent' } }), actor)).toEqual({ ok: true });
    expect(checkMayAct(await token({ may_act: actor }), actor)).toEqual({ ok: true });
  });

  it('refuses another sub, another iss, or a malformed claim, naming the claim', async () => {
    for (const mayAct of [
      { sub: 'other-agent' },
      { sub: 'expense-agent', iss: 'https://elsewhere' },
      'expense-agent',
      null,
    ]) {
      const check = checkMayAct(await token({ may_act: mayAct }), actor);
      expect(check.ok).toBe(false);
      expect(!check.ok && check.reason).toContain('may_act');
    }
  });
});
