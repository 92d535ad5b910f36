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

  /** Every token minted for `sub` so far (user and exchanged) stops working at the authorization server. */
  async revokeAll(sub: string): Promise<void> {
    await requestJson(this.baseUrl, '/admin/revoke', { body: { sub }, expect: [204] });
  }
}
