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
  DEFAULT_TENANT,
  PER_TENANT_KEYS,
  type ExchangeVendor,
  type TenantYaml,
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
  /** The tenant whose `sharedSignals` names it (SPEC §12.1). */
  tenant: string;
  /** Its tenant's `sharedSignals.endpointUrl`: a managed push stream's `endpoint_url`. */
  endpointUrl?: string;
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
  /** SPEC §12.1: every tenant by name (`default` alone without `tenants:` in baton.yaml). */
  tenants: Record<string, TenantConfig>;
  /** The tenant of each trusted issuer: an inbound token's tenant is its issuer's (SPEC §12.1). */
  issuerTenants: Record<string, string>;
  escalationTtlSeconds: number;
  /** Node jobs per worker: adapted within [min, max] to the completion round trip (NodeConcurrency). */
  worker: { nodeConcurrency: { min: number; max: number; targetCompletionMs: number } };
  /** SPEC §11: a run at this depth (the root is 0) cannot start a child run. */
  maxDelegationDepth: number;
  /** Issue 10 item 8: approvals need escalationsResolve and four eyes. */
  approvals: { requireResolveScope: boolean };
  /** OpenTelemetry export (issue 14): off without an endpoint. */
  tracing: { otlpEndpoint?: string };
}

/** What one tenant configures for itself (SPEC §12.1); everything else is the deployment's. */
export interface TenantConfig {
  name: string;
  trustedIssuers: TrustedIssuer[];
  exchangeProfiles: Record<string, ExchangeProfile>;
  http: { allowedHosts: string[]; audienceOrigins?: Record<string, string[]> };
  notifications?: { webhookUrl: string; secret: string; allowPrivate: boolean };
  /** SPEC §14: the console's public sign-in settings; the console is off without them. */
  console?: ConsoleSettings;
  /** SPEC §10: Shared Signals receiving; null when not configured. */
  sharedSignals: {
    audience: string;
    /** Baton's push URL as transmitters reach it: a managed push stream's `endpoint_url` (README). */
    endpointUrl?: string;
    transmitters: SsfTransmitter[];
  } | null;
  /** At most this many of the tenant's nodes run at once, across all workers; unlimited when absent. */
  maxConcurrentNodes?: number;
}

/** Every tenant's Shared Signals transmitters (each names its tenant). */
export function allTransmitters(config: Pick<BatonConfig, 'tenants'>): SsfTransmitter[] {
  return Object.values(config.tenants).flatMap((t) => t.sharedSignals?.transmitters ?? []);
}

/** A tenant's configuration; a tenant name Baton does not know is a programming error (names come from rows and issuers). */
export function tenantConfig(config: Pick<BatonConfig, 'tenants'>, tenant: string): TenantConfig {
  const found = config.tenants[tenant];
  if (!found) throw new Error(`unknown tenant ${tenant}`);
  return found;
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
  const file = `${e.BATON_CONFIG}: `;
  // With `tenants:`, a per-tenant key at the top level would silently be nobody's: refuse it (SPEC §12.1).
  const raw = (typeof rawYaml === 'object' && rawYaml !== null ? rawYaml : {}) as Record<string, unknown>;
  if (raw.tenants !== undefined && raw.tenants !== null) {
    const misplaced = PER_TENANT_KEYS.find((key) => key in raw);
    if (misplaced)
      throw new ConfigError(`${file}${misplaced}: is a per-tenant key: with tenants, move it under tenants.<name>`);
  }
  const yamlResult = batonYamlSchema.safeParse(rawYaml);
  if (!yamlResult.success) throw new ConfigError(describe(yamlResult.error, file));
  const y = yamlResult.data;

  const secretFrom = (key: string, varName: string | undefined): string | undefined => {
    if (!varName) return undefined;
    const value = env[varName];
    if (value === undefined || value === '')
      throw new ConfigError(`${file}${key}: environment variable ${varName} is not set`);
    return value;
  };

  // SPEC §9.3: RS256, PS256, ES256 or EdDSA keys, PEM or JWK; checked here so a bad key stops the process at start.
  const actorKeyFrom = (key: string, varName: string): string => {
    const text = secretFrom(key, varName)!;
    if (!isActorSigningKey(text)) {
      throw new ConfigError(
        `${file}${key}: environment variable ${varName} does not hold an RSA, P-256 or Ed25519 private key (PEM or JWK)`,
      );
    }
    return text;
  };

  const tenantFrom = (name: string, t: TenantYaml, at: string): TenantConfig => {
    const exchangeProfiles: Record<string, ExchangeProfile> = {};
    for (const [profileName, p] of Object.entries(t.exchangeProfiles)) {
      const key = `${at}exchangeProfiles.${profileName}`;
      const clientAuth = p.clientAuth ?? defaultClientAuth(p.vendor);
      const usesSecret = clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post';
      exchangeProfiles[profileName] = {
        name: profileName,
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
    const signals = t.sharedSignals;
    return {
      name,
      trustedIssuers: t.trustedIssuers.map((issuer, i) => ({
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        requireTyp: issuer.requireTyp,
        introspection: issuer.introspection && {
          endpoint: issuer.introspection.endpoint,
          clientId: issuer.introspection.clientId,
          clientSecret: secretFrom(
            `${at}trustedIssuers.${i}.introspection.clientSecretEnv`,
            issuer.introspection.clientSecretEnv,
          )!,
        },
      })),
      exchangeProfiles,
      http: {
        allowedHosts: t.http.allowedHosts,
        ...(t.http.audienceOrigins && { audienceOrigins: t.http.audienceOrigins }),
      },
      ...(t.console && { console: t.console }),
      ...(t.maxConcurrentNodes !== undefined && { maxConcurrentNodes: t.maxConcurrentNodes }),
      sharedSignals: signals
        ? {
            audience: signals.audience,
            ...(signals.endpointUrl && { endpointUrl: signals.endpointUrl }),
            transmitters: signals.transmitters.map((tr, i) => ({
              issuer: tr.issuer,
              metadataUrl: tr.metadataUrl ?? defaultSsfMetadataUrl(tr.issuer),
              ...(tr.jwksUri && { jwksUri: tr.jwksUri }),
              audiences: tr.audience === undefined ? [signals.audience] : [tr.audience].flat(),
              requireTyp: tr.requireTyp,
              subjectIssuer: tr.subjectIssuer ?? tr.issuer,
              delivery: tr.delivery,
              ...(tr.authorizationEnv && {
                authorization: secretFrom(`${at}sharedSignals.transmitters.${i}.authorizationEnv`, tr.authorizationEnv),
              }),
              ...(tr.pollEndpoint && { pollEndpoint: tr.pollEndpoint }),
              pollIntervalSeconds: tr.pollIntervalSeconds,
              manageStream: tr.manageStream,
              tenant: name,
              ...(signals.endpointUrl && { endpointUrl: signals.endpointUrl }),
            })),
          }
        : null,
      notifications: t.notifications
        ? {
            webhookUrl: t.notifications.webhookUrl,
            secret: secretFrom(`${at}notifications.secretEnv`, t.notifications.secretEnv)!,
            allowPrivate: t.notifications.allowPrivate,
          }
        : undefined,
    };
  };

  const tenants: Record<string, TenantConfig> = {};
  if (y.tenants) {
    for (const [name, t] of Object.entries(y.tenants)) tenants[name] = tenantFrom(name, t, `tenants.${name}.`);
  } else {
    tenants[DEFAULT_TENANT] = tenantFrom(DEFAULT_TENANT, y, '');
  }
  const issuerTenants = tenantsByIssuer(tenants, file);

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
    tenants,
    issuerTenants,
    escalationTtlSeconds: y.escalationTtlSeconds,
    worker: { nodeConcurrency: { ...y.worker.nodeConcurrency } },
    maxDelegationDepth: y.maxDelegationDepth,
    approvals: { requireResolveScope: y.approvals.requireResolveScope },
  };
}

/**
 * One issuer belongs to one tenant only (SPEC §12.1): an inbound token's issuer names its tenant,
 * and a Shared Signals transmitter's events reach the one tenant that trusts it.
 */
function tenantsByIssuer(tenants: Record<string, TenantConfig>, file: string): Record<string, string> {
  const byIssuer: Record<string, string> = {};
  const transmitterTenant: Record<string, string> = {};
  for (const tenant of Object.values(tenants)) {
    tenant.trustedIssuers.forEach((t, i) => {
      const owner = byIssuer[t.issuer];
      if (owner !== undefined && owner !== tenant.name)
        throw new ConfigError(
          `${file}tenants.${tenant.name}.trustedIssuers.${i}.issuer: ${t.issuer} is already trusted by tenant ${owner} (an issuer belongs to one tenant)`,
        );
      byIssuer[t.issuer] = tenant.name;
    });
    tenant.sharedSignals?.transmitters.forEach((t, i) => {
      const owner = transmitterTenant[t.issuer];
      if (owner !== undefined && owner !== tenant.name)
        throw new ConfigError(
          `${file}tenants.${tenant.name}.sharedSignals.transmitters.${i}.issuer: ${t.issuer} is already a transmitter of tenant ${owner}`,
        );
      transmitterTenant[t.issuer] = tenant.name;
    });
  }
  return byIssuer;
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
