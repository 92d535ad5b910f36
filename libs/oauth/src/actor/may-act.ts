import { decodeJwt } from 'jose';

export type MayActCheck = { ok: true } | { ok: false; reason: string };

/**
 * RFC 8693 §4.4 `may_act` (SPEC §9.3): when the user's token carries it, it must name the actor —
 * its `sub`, and its `iss` when the claim has one. A token without `may_act`, or that is not a JWT,
 * restricts nothing. Read without verification: the token was verified when it entered Baton.
 */
export function checkMayAct(subjectToken: string, actor: { sub: string; iss: string }): MayActCheck {
  let mayAct: unknown;
  try {
    mayAct = decodeJwt(subjectToken).may_act;
  } catch {
    return { ok: true };
  }
  if (mayAct === undefined) return { ok: true };
  const claim = typeof mayAct === 'object' && mayAct !== null ? (mayAct as Record<string, unknown>) : {};
  const names = `sub ${JSON.stringify(actor.sub)}${typeof claim.iss === 'string' ? ` iss ${JSON.stringify(actor.iss)}` : ''}`;
  if (claim.sub !== actor.sub || (claim.iss !== undefined && claim.iss !== actor.iss)) {
    return {
      ok: false,
      reason: `the user's token carries a may_act claim that does not name the actor (${names}); may_act names ${JSON.stringify({ sub: claim.sub, iss: claim.iss })}`,
    };
  }
  return { ok: true };
}
