import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ApiScopeKey, batonYamlSchema, envSchema } from './config.schema.js';

export interface ExchangeProfile {
  name: string;
  issuer: string;
  tokenEndpoint?: string;
  clientId: string;
  clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** Read from the env var named by `clientSecretEnv`; never logged. */
  clientSecret?: string;
  /** PEM or JWK (JSON) text read from the env var named by `privateKeyEnv`; never logged. */
  privateKey?: string;
  privateKeyAlg: string;
  subjectTokenType: string;
  requestedTokenType?: string;
  extraParams: Record<string, string>;
  expirySkewSeconds: number;
}

export interface TrustedIssuer {
  issuer: string;
  jwksUri?: string;
}

/** The one typed configuration object, validated once at boot (SPEC §2). */
export interface BatonConfig {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  workerPort: number;
  configPath: string;
  encryptionKey: Buffer;
  queuePrefix: string;
  migrate: boolean;
  logLevel: string;
  api: { audience: string; scopes: Record<ApiScopeKey, string>; cors: { origins: string[] } };
  trustedIssuers: TrustedIssuer[];
  exchangeProfiles: Record<string, ExchangeProfile>;
  http: { allowedHosts: string[] };
  escalationTtlSeconds: number;
  notifications?: { webhookUrl: string; secret: string };
}

/** A configuration problem; `message` is one line that names the key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DEFAULT_CONFIG_PATH = './baton.yaml';

/**
 * Reads env and `baton.yaml` into a BatonConfig, or throws a ConfigError naming the first bad key.
 * A missing `baton.yaml` at the default path means "all defaults"; a path set explicitly must exist.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readFile = (p: string) => readFileSync(p, 'utf8')): BatonConfig {
  const envResult = envSchema.safeParse(env);
  if (!envResult.success) throw new ConfigError(describe(envResult.error, ''));
  const e = envResult.data;

  let rawYaml: unknown = {};
  try {
    rawYaml = parseYaml(readFile(e.BATON_CONFIG)) ?? {};
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (!(missing && e.BATON_CONFIG === DEFAULT_CONFIG_PATH && env.BATON_CONFIG === undefined)) {
      throw new ConfigError(`BATON_CONFIG: cannot read ${e.BATON_CONFIG}: ${missing ? 'file not found' : oneLine(err)}`);
    }
  }
  const yamlResult = batonYamlSchema.safeParse(rawYaml);
  if (!yamlResult.success) throw new ConfigError(describe(yamlResult.error, `${e.BATON_CONFIG}: `));
  const y = yamlResult.data;

  const secretFrom = (key: string, varName: string | undefined): string | undefined => {
    if (!varName) return undefined;
    const value = env[varName];
    if (value === undefined || value === '') throw new ConfigError(`${e.BATON_CONFIG}: ${key}: environment variable ${varName} is not set`);
    return value;
  };

  const exchangeProfiles: Record<string, ExchangeProfile> = {};
  for (const [name, p] of Object.entries(y.exchangeProfiles)) {
    exchangeProfiles[name] = {
      name,
      issuer: p.issuer,
      tokenEndpoint: p.tokenEndpoint,
      clientId: p.clientId,
      clientAuth: p.clientAuth,
      clientSecret: p.clientAuth === 'private_key_jwt' ? undefined : secretFrom(`exchangeProfiles.${name}.clientSecretEnv`, p.clientSecretEnv),
      privateKey: p.clientAuth === 'private_key_jwt' ? secretFrom(`exchangeProfiles.${name}.privateKeyEnv`, p.privateKeyEnv) : undefined,
      privateKeyAlg: p.privateKeyAlg,
      subjectTokenType: p.subjectTokenType,
      requestedTokenType: p.requestedTokenType,
      extraParams: p.extraParams,
      expirySkewSeconds: p.expirySkewSeconds,
    };
  }

  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    workerPort: e.WORKER_PORT,
    configPath: e.BATON_CONFIG,
    encryptionKey: Buffer.from(e.BATON_ENCRYPTION_KEY, 'base64'),
    queuePrefix: e.BATON_QUEUE_PREFIX,
    migrate: e.BATON_MIGRATE === 'on',
    logLevel: e.LOG_LEVEL,
    api: { audience: y.api.audience, scopes: y.api.scopes, cors: { origins: y.api.cors.origins } },
    trustedIssuers: y.trustedIssuers.map((t) => ({ issuer: t.issuer, jwksUri: t.jwksUri })),
    exchangeProfiles,
    http: { allowedHosts: y.http.allowedHosts },
    escalationTtlSeconds: y.escalationTtlSeconds,
    notifications: y.notifications
      ? { webhookUrl: y.notifications.webhookUrl, secret: secretFrom('notifications.secretEnv', y.notifications.secretEnv)! }
      : undefined,
  };
}

function describe(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0]!;
  const key = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const at = issue.path.length ? `${key}.` : '';
    return `${prefix}${issue.keys.map((k) => at + k).join(', ')}: unknown key`;
  }
  return `${prefix}${key}: ${issue.message}`;
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
