import { requestJson } from './http-json.js';

/**
 * The dev authorization server's admin surface (dev mode only), standing in for a real sign-in:
 * mint a user's token, revoke every token of a user.
 */
export class DevAuthAdmin {
  constructor(readonly baseUrl: string) {}

  /** "The user signs in": a JWT access token for Baton's API (`aud` baton-api) with these scopes. */
  async signIn(sub: string, scopes: readonly string[], expiresIn = 3600): Promise<string> {
    const answer = await requestJson<{ access_token: string }>(this.baseUrl, '/admin/tokens', {
      body: { sub, scope: scopes.join(' '), expiresIn },
    });
    return answer.access_token;
  }

  /**
   * The user's session ends at the authorization server: every token minted for `sub` so far stops
   * working there, and it pushes a CAEP session-revoked SET to Baton. Returns Baton's answer (202).
   */
  async revokeSession(sub: string): Promise<number | null> {
    const answer = await requestJson<{ pushed: { status: number | null }[] }>(this.baseUrl, '/admin/sessions/revoke', {
      body: { sub },
    });
    return answer.pushed[0]?.status ?? null;
  }
}
