import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PATH, adminHandler } from './admin.js';
import {
  consoleClientMetadata,
  defaultClients,
  defaultConsoleClient,
  toClientsMetadata,
  type ConsoleClient,
  type DevClient,
} from './clients.js';
import { consoleLoginHandler, INTERACTION_PATH } from './console-login.js';
import { SSF_STREAM_PATH, SessionEventTransmitter, type SsfReceiver } from './ssf-transmitter.js';
import { Faults } from './faults.js';
import { sendJson } from './http-json.js';
import { createProvider, ROUTES } from './provider.js';
import { RevocationRegistry } from './revocation-registry.js';
import { generateSigningKey } from './signing-key.js';
import { Stats } from './stats.js';

export type { ClientAuthMethod, DevClient } from './clients.js';
export { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_CONSOLE_CLIENT_ID } from './clients.js';
export type { ConsoleClient } from './clients.js';
export type { ExchangeRecord, StatsSnapshot } from './stats.js';
export type { FaultsState, SlowTokenEndpoint, TokenEndpointFault } from './faults.js';

export interface DevAuthServerOptions {
  /** 0 picks a free port. Default 4000. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `http://<host>:<bound port>` (127.0.0.1 for a wildcard host). */
  issuer?: string;
  /** Mounts the /admin surface (token minting, revocation, faults, stats). Default false. */
  devMode?: boolean;
  /** Default: `baton-worker` with secret `dev-secret-change-me`. */
  clients?: DevClient[];
  /** Lifetime of tokens issued by token exchange. Default 300. */
  exchangedTokenTtlSeconds?: number;
  /** The console's public client (SPEC §14). Default `baton-console` redirecting to the api on :3000. */
  consoleClient?: ConsoleClient;
  /** Shared Signals receivers told of revoked sessions (POST /admin/sessions/revoke). Default none. */
  ssfReceivers?: SsfReceiver[];
  /** The bearer its SSF stream configuration endpoint requires (none: it answers 401). Default none. */
  ssfStreamToken?: string;
}

export interface DevAuthServer {
  issuer: string;
  /** Where this process listens (may differ from the issuer behind a proxy or in a container). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_PORT = 4000;
const SSF_METADATA_PATH = '/.well-known/ssf-configuration';
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_EXCHANGED_TOKEN_TTL_SECONDS = 300;

/**
 * Starts the dev authorization server. The socket is bound before the provider is built so that,
 * with port 0, the issuer (which every endpoint URL and token `iss` derive from) names the real port.
 *
 * The issuer is used verbatim; the server always answers at its root. An issuer with a path works
 * behind a proxy that strips that path.
 */
export async function startDevAuthServer(options: DevAuthServerOptions = {}): Promise<DevAuthServer> {
  const host = options.host ?? DEFAULT_HOST;
  const ttlSeconds = options.exchangedTokenTtlSeconds ?? DEFAULT_EXCHANGED_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new Error('exchangedTokenTtlSeconds must be a positive integer');
  const consoleClient = options.consoleClient ?? defaultConsoleClient();
  const clients = [...toClientsMetadata(options.clients ?? defaultClients()), consoleClientMetadata(consoleClient)];
  const key = await generateSigningKey();
  const revocations = new RevocationRegistry();
  const faults = new Faults();
  const stats = new Stats();

  let handle: RequestListener | undefined;
  const server = createServer((req, res) => {
    if (handle) handle(req, res);
    else sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'starting' });
  });
  await listen(server, options.port ?? DEFAULT_PORT, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  const issuer = options.issuer ?? url;

  let callProvider: RequestListener;
  let callLogin: ReturnType<typeof consoleLoginHandler>;
  try {
    const provider = await createProvider({
      issuer,
      key,
      clients,
      revocations,
      faults,
      stats,
      ttlSeconds,
      consoleClientId: consoleClient.clientId,
    });
    callProvider = provider.callback();
    callLogin = consoleLoginHandler(provider);
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  const signals = new SessionEventTransmitter(
    issuer,
    key,
    `${issuer}${ROUTES.jwks}`,
    options.ssfReceivers ?? [],
    options.ssfStreamToken,
  );
  const callAdmin = options.devMode ? adminHandler({ issuer, key, revocations, faults, stats, signals }) : undefined;

  handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    // Without dev mode /admin falls through to oidc-provider, which answers 404.
    if (callAdmin && (path === ADMIN_PATH || path.startsWith(`${ADMIN_PATH}/`))) {
      void callAdmin(req, res, path);
      return;
    }
    if (path.startsWith(`${INTERACTION_PATH}/`)) {
      void callLogin(req, res, path);
      return;
    }
    if (path === SSF_METADATA_PATH) {
      sendJson(res, 200, signals.metadata());
      return;
    }
    if (path === SSF_STREAM_PATH) {
      void signals.streams.handle(req, res);
      return;
    }
    if (path === ROUTES.token) {
      stats.countTokenRequest();
      const fault = faults.takeTokenEndpointFault();
      if (fault) {
        sendJson(res, fault.status, fault.body, fault.headers);
        return;
      }
      const delayMs = faults.takeTokenEndpointDelay();
      if (delayMs > 0) {
        setTimeout(() => void callProvider(req, res), delayMs).unref();
        return;
      }
    }
    void callProvider(req, res);
  };

  let closing: Promise<void> | undefined;
  return {
    issuer,
    url,
    port,
    close: () => (closing ??= closeServer(server)),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, drops idle keep-alive connections, and cuts what is still open after 2 s. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}

/** How to reach a host in a URL: wildcard addresses become loopback, IPv6 literals get brackets. */
function urlHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
