import { defaultClients, defaultConsoleClient, DEFAULT_CONSOLE_CLIENT_ID, type DevClient } from './clients.js';
import type { DevAuthServerOptions } from './server.js';

/**
 * The CLI's configuration from environment variables and arguments:
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `DEV_AS_PORT` | 4000 | port (0 = any free port) |
 * | `DEV_AS_HOST` | 127.0.0.1 | address to bind |
 * | `DEV_AS_ISSUER` | `http://127.0.0.1:<port>` | issuer identifier (e.g. `http://dev-as:4000` in compose) |
 * | `DEV_AS_DEV_MODE` | false | `true`/`1` mounts the /admin surface; so does the `--dev` argument; refused under `NODE_ENV=production` |
 * | `DEV_AS_CLIENT_SECRET` | `dev-secret-change-me` | secret of the default client `baton-worker` |
 * | `DEV_AS_CLIENTS` | none | JSON array of extra clients (`DevClient` shape); one named `baton-worker` replaces the default |
 * | `DEV_AS_EXCHANGED_TOKEN_TTL_SECONDS` | 300 | lifetime of exchanged tokens |
 * | `DEV_AS_CONSOLE_REDIRECT_URIS` | `http://127.0.0.1:3000/console/callback`, `http://localhost:3000/…` | comma-separated redirect URIs of the console client `baton-console` |
 * | `DEV_AS_SSF_RECEIVER_URL` | none | a Shared Signals push endpoint (e.g. Baton's `/v1/ssf/events`) told of revoked sessions |
 * | `DEV_AS_SSF_RECEIVER_AUDIENCE` | `baton-ssf` | the `aud` of the SETs pushed there |
 * | `DEV_AS_SSF_RECEIVER_TOKEN` | none | bearer sent with them |
 * | `DEV_AS_SSF_STREAM_TOKEN` | `DEV_AS_SSF_RECEIVER_TOKEN` | bearer its SSF stream configuration endpoint (`/ssf/stream`) requires |
 *
 * Throws an Error naming the variable and the problem.
 */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv, args: readonly string[]): DevAuthServerOptions {
  for (const arg of args)
    if (arg !== '--dev') throw new Error(`unknown argument ${JSON.stringify(arg)} (only --dev is known)`);
  const options: DevAuthServerOptions = {
    port: integerVar(env, 'DEV_AS_PORT', 4000, 0, 65535),
    host: nonEmpty(env.DEV_AS_HOST) ?? '127.0.0.1',
    devMode: args.includes('--dev') || booleanVar(env, 'DEV_AS_DEV_MODE'),
    clients: clientsVar(env),
    exchangedTokenTtlSeconds: integerVar(env, 'DEV_AS_EXCHANGED_TOKEN_TTL_SECONDS', 300, 1, 86_400 * 365),
  };
  const redirects = nonEmpty(env.DEV_AS_CONSOLE_REDIRECT_URIS);
  options.consoleClient = redirects
    ? {
        clientId: DEFAULT_CONSOLE_CLIENT_ID,
        redirectUris: redirects
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      }
    : defaultConsoleClient();
  const receiver = nonEmpty(env.DEV_AS_SSF_RECEIVER_URL);
  if (receiver !== undefined) {
    if (!URL.canParse(receiver)) throw new Error('DEV_AS_SSF_RECEIVER_URL must be a URL');
    const bearer = nonEmpty(env.DEV_AS_SSF_RECEIVER_TOKEN);
    options.ssfReceivers = [
      {
        url: receiver,
        audience: nonEmpty(env.DEV_AS_SSF_RECEIVER_AUDIENCE) ?? 'baton-ssf',
        ...(bearer && { bearer }),
      },
    ];
  }
  const streamToken = nonEmpty(env.DEV_AS_SSF_STREAM_TOKEN) ?? nonEmpty(env.DEV_AS_SSF_RECEIVER_TOKEN);
  if (streamToken) options.ssfStreamToken = streamToken;
  const issuer = nonEmpty(env.DEV_AS_ISSUER);
  if (issuer !== undefined) {
    if (!/^https?:\/\/[^/?#]+/.test(issuer) || !URL.canParse(issuer)) {
      throw new Error('DEV_AS_ISSUER must be an http(s) URL');
    }
    options.issuer = issuer;
  }
  if (options.devMode && env.NODE_ENV === 'production') {
    // The /admin surface mints tokens for anyone: never in a production deployment (issue 10 item 13).
    throw new Error(
      'dev mode (DEV_AS_DEV_MODE / --dev: the /admin surface that mints tokens) is refused when NODE_ENV=production',
    );
  }
  return options;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integerVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function booleanVar(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = nonEmpty(env[name])?.toLowerCase();
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new Error(`${name} must be true or false`);
}

/** The default client plus DEV_AS_CLIENTS; a listed client with the default's id replaces it. */
function clientsVar(env: NodeJS.ProcessEnv): DevClient[] {
  const defaults = defaultClients(nonEmpty(env.DEV_AS_CLIENT_SECRET));
  const raw = nonEmpty(env.DEV_AS_CLIENTS);
  if (raw === undefined) return defaults;
  let extra: unknown;
  try {
    extra = JSON.parse(raw);
  } catch {
    throw new Error('DEV_AS_CLIENTS must be a JSON array of clients');
  }
  if (!Array.isArray(extra)) throw new Error('DEV_AS_CLIENTS must be a JSON array of clients');
  // Each entry is checked in depth when the server registers it (toClientMetadata).
  const listed = extra as DevClient[];
  const listedIds = new Set(listed.map((c) => c?.clientId));
  return [...defaults.filter((c) => !listedIds.has(c.clientId)), ...listed];
}
