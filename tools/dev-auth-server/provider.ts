import { randomBytes } from 'node:crypto';
import Provider, { errors, type ClientMetadata } from 'oidc-provider';
import { verifyOwnToken } from './access-token.js';
import { BATON_API_RESOURCE, INTERACTION_PATH } from './console-login.js';
import { memoryAdapterFactory } from './memory-adapter.js';
import {
  TOKEN_EXCHANGE_GRANT_TYPE,
  TOKEN_EXCHANGE_PARAMETERS,
  TOKEN_EXCHANGE_REPEATABLE_PARAMETERS,
  tokenExchangeHandler,
  type TokenExchangeDependencies,
} from './token-exchange.js';

/** Endpoint paths (oidc-provider's defaults, spelled out because the HTTP front door routes on them). */
export const ROUTES = {
  token: '/token',
  jwks: '/jwks',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
} as const;

export interface ProviderOptions extends TokenExchangeDependencies {
  clients: ClientMetadata[];
  /** The console's public client id (interactive sign-in, SPEC §14); its tokens are for Baton's API. */
  consoleClientId?: string;
  /** `aud` of tokens for Baton's API resource (the api's `api.audience`). */
  apiAudience?: string;
}

/** Lifetime of the console's access tokens: short, so silent re-login is exercised. */
const CONSOLE_ACCESS_TOKEN_TTL_SECONDS = 900;

/** Lifetime of client_credentials tokens (oidc-provider's default, set to silence its notice). */
const CLIENT_CREDENTIALS_TTL_SECONDS = 600;

/**
 * The oidc-provider instance: discovery, JWKS, client_credentials, revocation, introspection, and
 * the RFC 8693 grant. Machine clients only: no interactive flows are configured. State (e.g.
 * client_credentials tokens) lives in memory, which is what a dev server wants.
 */
export async function createProvider(options: ProviderOptions): Promise<Provider> {
  const provider = new Provider(options.issuer, {
    // Clients are served by the adapter, not the `clients` option: see memory-adapter.ts.
    adapter: memoryAdapterFactory(options.clients),
    jwks: { keys: [options.key.privateJwk] },
    // Fresh per start: nothing a dev server signs into cookies must survive a restart.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: ROUTES,
    ttl: {
      ClientCredentials: CLIENT_CREDENTIALS_TTL_SECONDS,
      AccessToken: CONSOLE_ACCESS_TOKEN_TTL_SECONDS,
      IdToken: CONSOLE_ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      Interaction: 600,
      Grant: 86_400,
      Session: 86_400,
    },
    // Interactive sign-in (console-login.ts): any user name, no password (a dev server).
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${INTERACTION_PATH}/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // The console calls the token endpoint from the api's origin.
    clientBasedCORS: (_ctx: unknown, _origin: string, client: { clientId: string }) =>
      client.clientId === options.consoleClientId,
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // Only the console's sign-ins default to Baton's API; machine clients keep their opaque
        // client_credentials tokens (introspectable) as before.
        defaultResource: (_ctx: unknown, client: { clientId: string }) =>
          client.clientId === options.consoleClientId ? BATON_API_RESOURCE : undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx: ResourceContext, resource: string) => {
          if (resource !== BATON_API_RESOURCE) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          // Whatever the sign-in asked for (a dev server): Baton's scopes and, for Resume, a node's.
          // At the token endpoint the request has no scope; the grant holds what was consented.
          const asked =
            typeof ctx.oidc.params?.scope === 'string'
              ? ctx.oidc.params.scope
              : (ctx.oidc.entities?.Grant?.getResourceScope(resource) ?? '');
          return {
            scope: asked
              .split(' ')
              .filter((s) => s !== 'openid' && s !== 'profile' && s !== '')
              .join(' '),
            audience: options.apiAudience ?? 'baton-api',
            accessTokenTTL: CONSOLE_ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: options.key.alg } },
          };
        },
      },
      clientCredentials: { enabled: true },
      // Explicit policies (oidc-provider prints a notice while its defaults are used): every
      // client here authenticates, so any may introspect; a client may revoke only its own tokens.
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => {
          if (token.clientId !== client.clientId) {
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
    },
  });
  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT_TYPE,
    tokenExchangeHandler(options),
    TOKEN_EXCHANGE_PARAMETERS,
    TOKEN_EXCHANGE_REPEATABLE_PARAMETERS,
  );
  provider.use(revokeOwnJwts(options));
  provider.on('server_error', (_ctx: unknown, err: unknown) => {
    // Only the message: an error object may carry request data such as tokens.
    const message = err instanceof Error ? err.message : String(err);
    console.error(JSON.stringify({ level: 'error', msg: 'authorization server error', error: message }));
  });
  // oidc-provider validates client metadata when it first looks a client up; doing that now makes a
  // bad client definition fail the start instead of its first request.
  for (const { client_id: clientId } of options.clients) {
    try {
      await provider.Client.find(clientId);
    } catch (err) {
      const reason = (err as errors.OIDCProviderError).error_description ?? (err as Error).message;
      throw new Error(`client ${JSON.stringify(clientId)}: ${reason}`, { cause: err });
    }
  }
  return provider;
}

/**
 * oidc-provider refuses to revoke structured (JWT) access tokens (`unsupported_token_type`), and
 * every token this server issues is one. After oidc-provider has authenticated the client, this
 * revokes the token itself (RFC 7009): by `jti`, in the registry token exchange consults, so a
 * revoked token is refused as a subject token afterwards, and recorded in the stats. A token that
 * is not this server's answers 200 like RFC 7009 §2.2 says; one issued to another client is refused.
 */
function revokeOwnJwts(options: ProviderOptions) {
  return async (ctx: KoaLike, next: () => Promise<void>): Promise<void> => {
    await next();
    const refused = ctx.body as { error?: string } | undefined;
    const client = ctx.oidc?.client;
    if (
      ctx.oidc?.route !== 'revocation' ||
      ctx.status !== 400 ||
      refused?.error !== 'unsupported_token_type' ||
      !client
    )
      return;
    const token = ctx.oidc.params?.token;
    let payload: Awaited<ReturnType<typeof verifyOwnToken>>;
    try {
      payload = await verifyOwnToken(options.key, options.issuer, String(token));
    } catch {
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    if (payload.client_id !== client.clientId || typeof payload.jti !== 'string') {
      ctx.status = 400;
      ctx.body = {
        error: 'invalid_request',
        error_description: 'client is not authorized to revoke the presented token',
      };
      return;
    }
    options.revocations.revokeToken(payload.jti, payload.exp);
    options.stats.recordRevocation({
      jti: payload.jti,
      clientId: client.clientId,
      sub: payload.sub,
      at: new Date().toISOString(),
    });
    ctx.status = 200;
    ctx.body = '';
  };
}

/** The parts of oidc-provider's Koa context read after a request. */
interface KoaLike {
  status: number;
  body: unknown;
  oidc?: { route?: string; client?: { clientId: string }; params?: Record<string, unknown> };
}

/** What getResourceServerInfo reads of oidc-provider's context. */
interface ResourceContext {
  oidc: {
    params?: Record<string, unknown>;
    entities?: { Grant?: { getResourceScope(resource: string): string | undefined } };
  };
}
