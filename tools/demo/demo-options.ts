import { randomBytes } from 'node:crypto';

/** Everything the demo needs to know before it starts anything, from arguments and environment. */
export interface DemoOptions {
  /** `--once`: tell the story, then stop the stack and exit. */
  once: boolean;
  databaseUrl: string;
  redisUrl: string;
  ports: DemoPorts;
  /** BATON_QUEUE_PREFIX, passed through when set. */
  queuePrefix: string | undefined;
  encryptionKey: string;
  /** True when BATON_ENCRYPTION_KEY was not set and a key was generated for this demo run. */
  encryptionKeyGenerated: boolean;
  /** The dev authorization server's secret for the `baton-worker` client (CORP_CLIENT_SECRET). */
  clientSecret: string;
}

export interface DemoPorts {
  api: number;
  worker: number;
  devAuthServer: number;
  resourceServer: number;
}

/** Which environment variable sets each port, and what listens there. */
export const PORT_VARIABLES: Record<keyof DemoPorts, { variable: string; fallback: number; what: string }> = {
  api: { variable: 'PORT', fallback: 3000, what: 'the Baton API' },
  worker: { variable: 'WORKER_PORT', fallback: 3001, what: "the worker's health and metrics" },
  devAuthServer: { variable: 'DEV_AS_PORT', fallback: 4000, what: 'the dev authorization server' },
  resourceServer: { variable: 'DEMO_RESOURCE_PORT', fallback: 5000, what: 'the demo expenses API' },
};

export const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/baton';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** A development-only secret shared by the dev authorization server and the worker. */
const DEMO_CLIENT_SECRET = 'demo-secret-change-me';

export const USAGE = `Usage: npm run demo [-- --once]

Starts Baton (api, worker), the dev authorization server and a demo expenses API, runs the
SPEC §3 expense-approval workflow while telling what happens, prints its audit trail and keeps
the stack running until Ctrl-C. --once stops after the story.

Environment: DATABASE_URL, REDIS_URL, PORT (3000), WORKER_PORT (3001), DEV_AS_PORT (4000),
DEMO_RESOURCE_PORT (5000), BATON_QUEUE_PREFIX, BATON_ENCRYPTION_KEY (generated when unset).`;

/** A usage error: the message says what is wrong; the demo exits 2 without starting anything. */
export class DemoOptionsError extends Error {}

export function demoOptions(args: readonly string[], env: NodeJS.ProcessEnv): DemoOptions | 'help' {
  let once = false;
  for (const arg of args) {
    if (arg === '--once') once = true;
    else if (arg === '--help' || arg === '-h') return 'help';
    else throw new DemoOptionsError(`unknown argument ${JSON.stringify(arg)} (known: --once, --help)`);
  }
  const ports = {} as DemoPorts;
  for (const [key, { variable, fallback }] of Object.entries(PORT_VARIABLES) as [
    keyof DemoPorts,
    (typeof PORT_VARIABLES)[keyof DemoPorts],
  ][]) {
    ports[key] = portVar(env, variable, fallback);
  }
  const used = new Map<number, string>();
  for (const [key, port] of Object.entries(ports) as [keyof DemoPorts, number][]) {
    const variable = PORT_VARIABLES[key].variable;
    if (used.has(port))
      throw new DemoOptionsError(
        `${used.get(port)} and ${variable} are both ${port}; each process needs a port of its own`,
      );
    used.set(port, variable);
  }
  const key = nonEmpty(env.BATON_ENCRYPTION_KEY);
  return {
    once,
    databaseUrl: nonEmpty(env.DATABASE_URL) ?? DEFAULT_DATABASE_URL,
    redisUrl: nonEmpty(env.REDIS_URL) ?? DEFAULT_REDIS_URL,
    ports,
    queuePrefix: nonEmpty(env.BATON_QUEUE_PREFIX),
    encryptionKey: key ?? randomBytes(32).toString('base64'),
    encryptionKeyGenerated: key === undefined,
    clientSecret: DEMO_CLIENT_SECRET,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function portVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    throw new DemoOptionsError(`${name} must be a port number from 1 to 65535 (got ${JSON.stringify(raw)})`);
  return port;
}

/** A URL fit to print: the password, if any, replaced by `***`. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparseable URL)';
  }
}
