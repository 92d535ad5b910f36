import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DemoOptions } from './demo-options.js';

/** One process of the demo stack: what to run, with which environment, and how to tell it is ready. */
export interface ChildSpec {
  name: 'dev-auth-server' | 'resource-server' | 'api' | 'worker';
  /** How the story calls it. */
  title: string;
  /** Built entry point, relative to the repository root. */
  script: string;
  env: Record<string, string>;
  /** Where it answers. */
  url: string;
  /** A path that answers 200 once the process is ready. */
  readyPath: string;
}

export interface StackPlan {
  configPath: string;
  devAuthServer: ChildSpec;
  resourceServer: ChildSpec;
  api: ChildSpec;
  worker: ChildSpec;
}

/** The audience of the demo expenses API: the SPEC §3 nodes ask for tokens bound to it. */
export const EXPENSES_AUDIENCE = 'https://expenses.example.com';
/** The `aud` of the Security Event Tokens the dev AS pushes to the demo's api. */
const SSF_AUDIENCE = 'baton-ssf';

/**
 * Writes a baton.yaml for the ports in use into `workdir` and describes the four processes.
 * Every child gets the caller's environment plus its own settings; Baton's processes log at `warn`.
 */
export function planStack(options: DemoOptions, workdir: string, env: NodeJS.ProcessEnv): StackPlan {
  const host = '127.0.0.1';
  const issuer = `http://${host}:${options.ports.devAuthServer}`;
  const configPath = join(workdir, 'baton.yaml');
  const apiOrigin = `http://${host}:${options.ports.api}`;
  writeFileSync(configPath, batonYaml(issuer));

  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) inherited[name] = value;
  const baton: Record<string, string> = {
    ...inherited,
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    BATON_CONFIG: configPath,
    BATON_ENCRYPTION_KEY: options.encryptionKey,
    CORP_CLIENT_SECRET: options.clientSecret,
    SSF_PUSH_TOKEN: options.clientSecret,
    LOG_LEVEL: 'warn',
    ...(options.queuePrefix !== undefined && { BATON_QUEUE_PREFIX: options.queuePrefix }),
  };

  return {
    configPath,
    devAuthServer: {
      name: 'dev-auth-server',
      title: 'dev authorization server',
      script: 'dist/tools/dev-auth-server/main.js',
      env: {
        ...inherited,
        DEV_AS_PORT: String(options.ports.devAuthServer),
        DEV_AS_HOST: host,
        DEV_AS_ISSUER: issuer,
        DEV_AS_DEV_MODE: 'true',
        DEV_AS_CLIENT_SECRET: options.clientSecret,
        // The console (SPEC §14) signs in at the dev AS and comes back to the api.
        DEV_AS_CONSOLE_REDIRECT_URIS: `${apiOrigin}/console/callback,http://localhost:${options.ports.api}/console/callback`,
        // SPEC §10: the dev AS tells Baton of revoked sessions (a CAEP SET pushed to the api).
        DEV_AS_SSF_RECEIVER_URL: `http://${host}:${options.ports.api}/v1/ssf/events`,
        DEV_AS_SSF_RECEIVER_AUDIENCE: SSF_AUDIENCE,
        DEV_AS_SSF_RECEIVER_TOKEN: options.clientSecret,
        LOG_LEVEL: 'warn',
      },
      url: issuer,
      readyPath: '/.well-known/openid-configuration',
    },
    resourceServer: {
      name: 'resource-server',
      title: 'expenses API (demo resource server)',
      script: 'dist/tools/demo-resource-server/main.js',
      env: {
        ...inherited,
        DEMO_RESOURCE_PORT: String(options.ports.resourceServer),
        DEMO_RESOURCE_HOST: host,
        DEMO_ISSUER: issuer,
        DEMO_JWKS_URL: `${issuer}/jwks`,
        DEMO_AUDIENCE: EXPENSES_AUDIENCE,
      },
      url: `http://${host}:${options.ports.resourceServer}`,
      readyPath: '/health',
    },
    api: {
      name: 'api',
      title: 'Baton API',
      script: 'dist/apps/api/src/main.js',
      env: { ...baton, PORT: String(options.ports.api) },
      url: `http://${host}:${options.ports.api}`,
      readyPath: '/health/ready',
    },
    worker: {
      name: 'worker',
      title: 'Baton worker',
      script: 'dist/apps/worker/src/main.js',
      env: { ...baton, WORKER_PORT: String(options.ports.worker) },
      url: `http://${host}:${options.ports.worker}`,
      readyPath: '/health/ready',
    },
  };
}

/** The SPEC §2 configuration for this demo: one trusted issuer, one exchange profile, both the dev AS. */
function batonYaml(issuer: string): string {
  const config = {
    api: { audience: 'baton-api' },
    trustedIssuers: [{ issuer }],
    exchangeProfiles: {
      corp: {
        issuer,
        clientId: 'baton-worker',
        clientAuth: 'client_secret_basic',
        clientSecretEnv: 'CORP_CLIENT_SECRET',
        expirySkewSeconds: 30,
      },
    },
    // Only what the demo needs: the demo expenses API on loopback, bound to its audience (SPEC §16).
    http: { allowedHosts: ['127.0.0.1'], audienceOrigins: { 'https://expenses.example.com': ['http://127.0.0.1'] } },
    escalationTtlSeconds: 86400,
    // SPEC §14: the console signs in at the dev AS as its public client; the scopes let any demo
    // user see every page (a real deployment grants them per user).
    console: {
      issuer,
      clientId: 'baton-console',
      scopes: [
        'openid',
        'baton:runs:read_all',
        'baton:audit:read',
        'baton:escalations:resolve',
        'baton:workflows:write',
      ],
    },
    // SPEC §10: the dev AS is also a Shared Signals transmitter; its keys come from its SSF metadata.
    sharedSignals: { audience: SSF_AUDIENCE, transmitters: [{ issuer, authorizationEnv: 'SSF_PUSH_TOKEN' }] },
  };
  return `# Written by \`npm run demo\` for the ports of this demo run (SPEC §2).\n${stringify(config)}`;
}
