import type { JWK } from 'jose';
import type { ClientMetadata } from 'oidc-provider';
import { TOKEN_EXCHANGE_GRANT_TYPE } from './token-exchange.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** A client registered with the dev authorization server. */
export interface DevClient {
  clientId: string;
  /** Required for the client_secret_* methods. */
  clientSecret?: string;
  /**
   * Default `client_secret_basic`. For a secret client, oidc-provider accepts both
   * `client_secret_basic` and `client_secret_post` whichever of the two is registered.
   */
  tokenEndpointAuthMethod?: ClientAuthMethod;
  /** Public keys, required for `private_key_jwt`. */
  jwks?: { keys: JWK[] };
}

export const DEFAULT_CLIENT_ID = 'baton-worker';
export const DEFAULT_CLIENT_SECRET = 'dev-secret-change-me';

const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

export function defaultClients(clientSecret: string = DEFAULT_CLIENT_SECRET): DevClient[] {
  return [{ clientId: DEFAULT_CLIENT_ID, clientSecret, tokenEndpointAuthMethod: 'client_secret_basic' }];
}

/**
 * Checks a client definition (it may come from an environment variable) and turns it into
 * oidc-provider client metadata. Throws an Error naming the client and the problem.
 */
export function toClientMetadata(client: DevClient): ClientMetadata {
  const where = `client ${JSON.stringify(client?.clientId)}`;
  if (typeof client !== 'object' || client === null) throw new Error('a client must be an object');
  if (typeof client.clientId !== 'string' || client.clientId === '')
    throw new Error('clientId must be a non-empty string');
  const method = client.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if (!AUTH_METHODS.includes(method)) {
    throw new Error(`${where}: tokenEndpointAuthMethod must be one of ${AUTH_METHODS.join(', ')}`);
  }
  const metadata: ClientMetadata = {
    client_id: client.clientId,
    token_endpoint_auth_method: method,
    grant_types: ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE],
    // Machine clients only: no authorization endpoint flows.
    response_types: [],
    redirect_uris: [],
  };
  if (method === 'private_key_jwt') {
    const keys = client.jwks?.keys;
    if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${where}: private_key_jwt needs jwks.keys`);
    if (keys.some((k) => typeof k !== 'object' || k === null || 'd' in k)) {
      throw new Error(`${where}: jwks must hold public keys only`);
    }
    metadata.jwks = { keys };
  } else {
    if (typeof client.clientSecret !== 'string' || client.clientSecret === '') {
      throw new Error(`${where}: ${method} needs a non-empty clientSecret`);
    }
    metadata.client_secret = client.clientSecret;
  }
  return metadata;
}

/** Validates a list of clients (unique ids) and returns their metadata. */
export function toClientsMetadata(clients: readonly DevClient[]): ClientMetadata[] {
  const seen = new Set<string>();
  return clients.map((client) => {
    const metadata = toClientMetadata(client);
    if (seen.has(metadata.client_id)) throw new Error(`client ${JSON.stringify(metadata.client_id)} is defined twice`);
    seen.add(metadata.client_id);
    return metadata;
  });
}

/** The console's public client (SPEC §14): authorization code + PKCE, no client authentication. */
export interface ConsoleClient {
  clientId: string;
  /** The api's `/console/callback` URLs. */
  redirectUris: string[];
}

export const DEFAULT_CONSOLE_CLIENT_ID = 'baton-console';

export function defaultConsoleClient(
  apiOrigins: readonly string[] = ['http://127.0.0.1:3000', 'http://localhost:3000'],
): ConsoleClient {
  return { clientId: DEFAULT_CONSOLE_CLIENT_ID, redirectUris: apiOrigins.map((o) => `${o}/console/callback`) };
}

export function consoleClientMetadata(client: ConsoleClient): ClientMetadata {
  if (client.redirectUris.length === 0)
    throw new Error(`client ${JSON.stringify(client.clientId)}: needs redirectUris`);
  for (const uri of client.redirectUris) {
    if (!URL.canParse(uri))
      throw new Error(`client ${JSON.stringify(client.clientId)}: redirect URI ${JSON.stringify(uri)} is not a URL`);
  }
  return {
    client_id: client.clientId,
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: client.redirectUris,
  };
}
