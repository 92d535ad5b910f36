import {
  startDevAuthServer,
  DEFAULT_CLIENT_ID,
  type DevAuthServer,
  type ConsoleClient,
  type DevClient,
} from '../../tools/dev-auth-server/server.js';

export const TEST_CLIENT_ID = DEFAULT_CLIENT_ID;
export const TEST_CLIENT_SECRET = 'test-client-secret';

/** The real dev authorization server on a loopback port, with its admin surface. */
export class DevAuth {
  private constructor(readonly server: DevAuthServer) {}

  /** `clients` are registered next to the test client (`TEST_CLIENT_ID`/`TEST_CLIENT_SECRET`), which is always there. */
  static async start(
    options: {
      exchangedTokenTtlSeconds?: number;
      clients?: DevClient[];
      consoleClient?: ConsoleClient;
      /** The bearer its SSF stream configuration endpoint requires. */
      ssfStreamToken?: string;
    } = {},
  ): Promise<DevAuth> {
    const { clients = [], ...rest } = options;
    const server = await startDevAuthServer({
      port: 0,
      devMode: true,
      clients: [{ clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET }, ...clients],
      ...rest,
    });
    return new DevAuth(server);
  }

  get issuer(): string {
    return this.server.issuer;
  }

  /** Mints a user access token (aud includes baton-api). */
  async mintToken(sub: string, scopes: string[], expiresIn = 3600): Promise<string> {
    const body = await this.admin('POST', '/admin/tokens', { sub, scope: scopes.join(' '), expiresIn });
    return (body as { access_token: string }).access_token;
  }

  /** Mints a user token with claims merged over the standard ones (`null` removes one). */
  async mintTokenWithClaims(sub: string, scopes: string[], claims: Record<string, unknown>): Promise<string> {
    const body = await this.admin('POST', '/admin/tokens', { sub, scope: scopes.join(' '), claims });
    return (body as { access_token: string }).access_token;
  }

  async revoke(sub: string): Promise<void> {
    await this.admin('POST', '/admin/revoke', { sub });
  }

  async setFaults(faults: {
    tokenEndpoint?: { status: number; times: number; retryAfter?: number; body?: Record<string, unknown> };
    widenScope?: string | null;
    dropScope?: string | null;
    slowTokenEndpoint?: { delayMs: number; times: number } | null;
  }): Promise<void> {
    await this.admin('POST', '/admin/faults', faults);
  }

  async clearFaults(): Promise<void> {
    await this.admin('DELETE', '/admin/faults');
  }

  async stats(): Promise<{
    tokenRequests: number;
    exchanges: Array<{ sub: string; scope: string; audience: string[] | string; jti: string }>;
    revocations: Array<{ jti: string; clientId: string; sub: string }>;
  }> {
    return (await this.admin('GET', '/admin/stats')) as never;
  }

  async resetStats(): Promise<void> {
    await this.admin('POST', '/admin/stats/reset');
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.server.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`dev AS ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }
}
