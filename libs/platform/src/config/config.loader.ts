import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import {
  ApiScopeKey,
  GOOGLE_STS_TOKEN_ENDPOINT,
  batonYamlSchema,
  defaultClientAuth,
  defaultIssuer,
  defaultRequestedTokenType,
  defaultSubjectTokenType,
  envSchema,
  type ExchangeVendor,
} from './config.schema.js';

/** `exchangeProfiles.<p>.actor` with its keys read from the environment (SPEC §9.3). */
export interface ActorProfile {
  issuer: string;
  /** PEM or JWK text of the current signing key; never logged. */
  signingKey: string;
  /** Keys still published at `/.well-known/jwks.json`, never used to sign. */
  retiredKeys: string[];
  tokenType: string;
}

export interface ExchangeProfile {
  name: string;
  /** SPEC §9.1; `generic` when absent. */
  vendor?: ExchangeVendor;
  issuer: string;
  tokenEndpoint?: string;
  clientId: string;
  clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  /** Read from the env var named by `clientSecretEnv`; never logged. */
  clientSecret?: string;
  /** PEM or JWK (JSON) text read from the env var named by `privateKeyEnv`; never logged. */
  privateKey?: string;
  privateKeyAlg: string;
  subjectTokenType: string;
  requestedTokenType?: string;
  extraParams: Record<string, string>;
  expirySkewSeconds: number;
  /** Entra's certificate (PEM) for the `x5t#S256` header of private_key_jwt assertions. */
  certificate?: string;
  /** SPEC §9.1; `token` when absent. */
  scopeSource?: 'token' | 'authorization-server';
  actor?: ActorProfile;
  /** SPEC §10.4: tokens cached per run and revoked once the run ends. */
  revokeOnRunEnd?: boolean;
  revocationEndpoint?: string;
}

export interface TrustedIssuer {
  issuer: string;
  jwksUri?: string;
  /** RFC 7662 introspection of opaque inbound tokens (SPEC §9.2). */
  introspection?: { endpoint?: string; clientId: string; clientSecret: string };
  /** RFC 9068 `typ: at+jwt` required on inbound tokens (default true). */
  requireTyp: boolean;
}

/** SPEC §10.1: a Shared Signals transmitter, its defaults applied. */
export interface SsfTransmitter {
  issuer: string;
  /** Where its SSF configuration metadata is (`/.well-known/ssf-configuration` per SSF 1.0 by default). */
  metadataUrl: string;
  jwksUri?: string;
  /** A SET's `aud` must contain one of these. */
  audiences: string[];
  requireTyp: boolean;
  /** Whose users its events name. */
  subjectIssuer: string;
  delivery: 'push' | 'poll';
  /** push: the bearer the transmitter must send; poll: the bearer Baton sends. Never logged. */
  authorization?: string;
  pollEndpoint?: string;
  pollIntervalSeconds: number;
  /** Baton creates or updates its stream at the metadata's `configuration_endpoint` at start (api). */
  manageStream: boolean;
}

/** The SSF 1.0 metadata URL of an issuer: `/.well-known/ssf-configuration` between its host and its path. */
export function defaultSsfMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/ssf-configuration${path}`;
}

/** The one typed configuration object, validated once at boot (SPEC §2). */
export interface BatonConfig {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  workerPort: number;
  configPath: string;
  encryptionKey: Buffer;
  /** `BATON_ENCRYPTION_KEYS_PREVIOUS`: keys rotated out, still opening rows they sealed (issue 10 item 6). */
  previousEncryptionKeys: Buffer[];
  queuePrefix: string;
  migrate: boolean;
  logLevel: string;
  api: {
    audience: string;
    scopes: Record<ApiScopeKey, string>;
    cors: { origins: string[] };
    events: { heartbeatSeconds: number; maxBufferedKiB: number };
  };
  trustedIssuers: TrustedIssuer[];
  exchangeProfiles: Record<string, ExchangeProfile>;
  http: { allowedHosts: string[]; audienceOrigins?: Record<string, string[]> };
  escalationTtlSeconds: number;
  /** Node jobs per worker: adapted within [min, max] to the completion round trip (NodeConcurrency). */
  worker: { nodeConcurrency: { min: number; max: number; targetCompletionMs: number } };
  /** SPEC §11: a run at this depth (the root is 0) cannot start a child run. */
  maxDelegationDepth: number;
  /** Issue 10 item 8: approvals need escalationsResolve and four eyes. */
  approvals: { requireResolveScope: boolean };
  notifications?: { webhookUrl: string; secret: string; allowPrivate: boolean };
  /** OpenTelemetry export (issue 14): off without an endpoint. */
  tracing: { otlpEndpoint?: string };
  /** SPEC §14: the console's public sign-in settings; the console is off without them. */
  console?: ConsoleSettings;
  /** SPEC §10: Shared Signals receiving; null when not configured. */
  sharedSignals: {
    audience: string;
    /** Baton's push URL as transmitters reach it: a managed push stream's `endpoint_url` (README). */
    endpointUrl?: string;
    transmitters: SsfTransmitter[];
  } | null;
}

/** What the console's single-page app needs to sign in (public: served at /console/config.json). */
export interface ConsoleSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
  audience?: string;
  /** Absent: `{api origin}/console/callback`, derived per request. */
  redirectUri?: string;
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
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  readFile = (p: string) => readFileSync(p, 'utf8'),
): BatonConfig {
  const envResult = envSchema.safeParse(env);
  if (!envResult.success) throw new ConfigError(describe(envResult.error, ''));
  const e = envResult.data;

  let rawYaml: unknown = {};
  try {
    rawYaml = parseYaml(readFile(e.BATON_CONFIG)) ?? {};
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (!(missing && e.BATON_CONFIG === DEFAULT_CONFIG_PATH && env.BATON_CONFIG === undefined)) {
      throw new ConfigError(
        `BATON_CONFIG: cannot read ${e.BATON_CONFIG}: ${missing ? 'file not found' : oneLine(err)}`,
      );
    }
  }
  const yamlResult = batonYamlSchema.safeParse(rawYaml);
  if (!yamlResult.success) throw new ConfigError(describe(yamlResult.error, `${e.BATON_CONFIG}: `));
  const y = yamlResult.data;

  const secretFrom = (key: string, varName: string | undefined): string | undefined => {
    if (!varName) return undefined;
    const value = env[varName];
    if (value === undefined || value === '')
      throw new ConfigError(`${e.BATON_CONFIG}: ${key}: environment variable ${varName} is not set`);
    return value;
  };

  // SPEC §9.3: RS256, PS256, ES256 or EdDSA keys, PEM or JWK; checked here so a bad key stops the process at start.
  const actorKeyFrom = (key: string, varName: string): string => {
    const text = secretFrom(key, varName)!;
    if (!isActorSigningKey(text)) {
      throw new ConfigError(
        `${e.BATON_CONFIG}: ${key}: environment variable ${varName} does not hold an RSA, P-256 or Ed25519 private key (PEM or JWK)`,
      );
    }
    return text;
  };

  const exchangeProfiles: Record<string, ExchangeProfile> = {};
  for (const [name, p] of Object.entries(y.exchangeProfiles)) {
    const key = `exchangeProfiles.${name}`;
    const clientAuth = p.clientAuth ?? defaultClientAuth(p.vendor);
    const usesSecret = clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post';
    exchangeProfiles[name] = {
      name,
      vendor: p.vendor,
      issuer: p.issuer ?? defaultIssuer(p.vendor)!,
      tokenEndpoint: p.tokenEndpoint ?? (p.vendor === 'google' ? GOOGLE_STS_TOKEN_ENDPOINT : undefined),
      // Google STS takes no client: the id is never sent (see the google vendor strategy).
      clientId: p.clientId ?? 'baton',
      clientAuth,
      clientSecret: usesSecret ? secretFrom(`${key}.clientSecretEnv`, p.clientSecretEnv) : undefined,
      privateKey: clientAuth === 'private_key_jwt' ? secretFrom(`${key}.privateKeyEnv`, p.privateKeyEnv) : undefined,
      privateKeyAlg: p.privateKeyAlg,
      subjectTokenType: p.subjectTokenType ?? defaultSubjectTokenType(p.vendor),
      requestedTokenType: p.requestedTokenType ?? defaultRequestedTokenType(p.vendor),
      extraParams: p.extraParams,
      expirySkewSeconds: p.expirySkewSeconds,
      certificate: p.certificateEnv ? secretFrom(`${key}.certificateEnv`, p.certificateEnv) : undefined,
      scopeSource: p.scopeSource,
      revokeOnRunEnd: p.revokeOnRunEnd,
      ...(p.revocationEndpoint && { revocationEndpoint: p.revocationEndpoint }),
      actor: p.actor && {
        issuer: p.actor.issuer,
        signingKey: actorKeyFrom(`${key}.actor.signingKeyEnv`, p.actor.signingKeyEnv),
        retiredKeys: p.actor.retiredKeyEnvs.map((envName, i) =>
          actorKeyFrom(`${key}.actor.retiredKeyEnvs.${i}`, envName),
        ),
        tokenType: p.actor.tokenType,
      },
    };
  }

  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    workerPort: e.WORKER_PORT,
    configPath: e.BATON_CONFIG,
    encryptionKey: Buffer.from(e.BATON_ENCRYPTION_KEY, 'base64'),
    previousEncryptionKeys: (e.BATON_ENCRYPTION_KEYS_PREVIOUS ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '')
      .map((key) => Buffer.from(key, 'base64')),
    queuePrefix: e.BATON_QUEUE_PREFIX,
    migrate: e.BATON_MIGRATE === 'on',
    logLevel: e.LOG_LEVEL,
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT },
    api: {
      audience: y.api.audience,
      scopes: y.api.scopes,
      cors: { origins: y.api.cors.origins },
      events: { heartbeatSeconds: y.api.events.heartbeatSeconds, maxBufferedKiB: y.api.events.maxBufferedKiB },
    },
    trustedIssuers: y.trustedIssuers.map((t, i) => ({
      issuer: t.issuer,
      jwksUri: t.jwksUri,
      requireTyp: t.requireTyp,
      introspection: t.introspection && {
        endpoint: t.introspection.endpoint,
        clientId: t.introspection.clientId,
        clientSecret: secretFrom(`trustedIssuers.${i}.introspection.clientSecretEnv`, t.introspection.clientSecretEnv)!,
      },
    })),
    exchangeProfiles,
    http: {
      allowedHosts: y.http.allowedHosts,
      ...(y.http.audienceOrigins && { audienceOrigins: y.http.audienceOrigins }),
    },
    escalationTtlSeconds: y.escalationTtlSeconds,
    worker: { nodeConcurrency: { ...y.worker.nodeConcurrency } },
    ...(y.console && { console: y.console }),
    maxDelegationDepth: y.maxDelegationDepth,
    approvals: { requireResolveScope: y.approvals.requireResolveScope },
    sharedSignals: y.sharedSignals
      ? {
          audience: y.sharedSignals.audience,
          ...(y.sharedSignals.endpointUrl && { endpointUrl: y.sharedSignals.endpointUrl }),
          transmitters: y.sharedSignals.transmitters.map((t, i) => ({
            issuer: t.issuer,
            metadataUrl: t.metadataUrl ?? defaultSsfMetadataUrl(t.issuer),
            ...(t.jwksUri && { jwksUri: t.jwksUri }),
            audiences: t.audience === undefined ? [y.sharedSignals!.audience] : [t.audience].flat(),
            requireTyp: t.requireTyp,
            subjectIssuer: t.subjectIssuer ?? t.issuer,
            delivery: t.delivery,
            ...(t.authorizationEnv && {
              authorization: secretFrom(`sharedSignals.transmitters.${i}.authorizationEnv`, t.authorizationEnv),
            }),
            ...(t.pollEndpoint && { pollEndpoint: t.pollEndpoint }),
            pollIntervalSeconds: t.pollIntervalSeconds,
            manageStream: t.manageStream,
          })),
        }
      : null,
    notifications: y.notifications
      ? {
          webhookUrl: y.notifications.webhookUrl,
          secret: secretFrom('notifications.secretEnv', y.notifications.secretEnv)!,
          allowPrivate: y.notifications.allowPrivate,
        }
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

function isActorSigningKey(text: string): boolean {
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('{')
      ? createPrivateKey({ key: JSON.parse(trimmed), format: 'jwk' })
      : createPrivateKey(trimmed);
    const type = key.asymmetricKeyType;
    return (
      type === 'rsa' ||
      type === 'rsa-pss' ||
      type === 'ed25519' ||
      (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    );
  } catch {
    return false;
  }
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
