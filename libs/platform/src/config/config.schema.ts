import { z } from 'zod';

/** Scope names that gate API operations (SPEC §2 `api.scopes`). */
export const ApiScopeKey = {
  WorkflowsWrite: 'workflowsWrite',
  RunsReadAll: 'runsReadAll',
  AuditRead: 'auditRead',
  EscalationsResolve: 'escalationsResolve',
  WorkflowsAdmin: 'workflowsAdmin',
} as const;
export type ApiScopeKey = (typeof ApiScopeKey)[keyof typeof ApiScopeKey];

const url = z.url({ protocol: /^https?$/ });
const LOOPBACK_URL = /^http:\/\/(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?(\/|$)/;
const ALLOWED_HOST =
  /^(\*\.)?([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(:\d{1,5})?$/;
const ORIGIN = /^https?:\/\/(\*\.)?([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/** Authorization servers whose request shape, defaults and error mapping Baton knows (SPEC §9.1). */
export const EXCHANGE_VENDORS = ['generic', 'keycloak', 'okta', 'auth0', 'entra', 'google'] as const;
export type ExchangeVendor = (typeof EXCHANGE_VENDORS)[number];

/** Google STS's token endpoint (SPEC §9.1: no discovery). */
export const GOOGLE_STS_TOKEN_ENDPOINT = 'https://sts.googleapis.com/v1/token';
const GOOGLE_STS_ISSUER = 'https://sts.googleapis.com';

/** Vendors that do not accept a JWT actor token (SPEC §9.3). */
const NO_ACTOR_VENDORS: readonly ExchangeVendor[] = ['entra', 'google', 'keycloak'];
/** subject_token_type prefixes Auth0 reserves for itself: a custom token exchange profile cannot use them. */
const AUTH0_RESERVED_TOKEN_TYPES = [
  /^urn:ietf:/i,
  /^urn:auth0:/i,
  /^urn:okta:/i,
  /^https?:\/\/(www\.)?auth0\.com/i,
  /^https?:\/\/(www\.)?okta\.com/i,
];

const actorSchema = z.strictObject({
  issuer: z.string().min(1),
  signingKeyEnv: z.string().min(1),
  retiredKeyEnvs: z.array(z.string().min(1)).default([]),
  tokenType: z.string().min(1).default('urn:ietf:params:oauth:token-type:jwt'),
});

const exchangeProfileSchema = z
  .strictObject({
    vendor: z.enum(EXCHANGE_VENDORS).default('generic'),
    issuer: url.optional(),
    tokenEndpoint: url.optional(),
    clientId: z.string().min(1).optional(),
    clientAuth: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).optional(),
    clientSecretEnv: z.string().min(1).optional(),
    privateKeyEnv: z.string().min(1).optional(),
    privateKeyAlg: z
      .enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])
      .default('RS256'),
    certificateEnv: z.string().min(1).optional(),
    subjectTokenType: z.string().min(1).optional(),
    requestedTokenType: z.string().min(1).optional(),
    extraParams: z.record(z.string(), z.string()).default({}),
    expirySkewSeconds: z.number().int().min(0).max(3600).default(30),
    scopeSource: z.enum(['token', 'authorization-server']).default('token'),
    actor: actorSchema.optional(),
    /** SPEC §10.4: this profile's tokens are cached per run and revoked (RFC 7009) once the run ends. */
    revokeOnRunEnd: z.boolean().default(false),
    /** The RFC 7009 endpoint, when discovery does not name one (or there is no discovery). */
    revocationEndpoint: url.optional(),
  })
  .superRefine((p, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const clientAuth = p.clientAuth ?? defaultClientAuth(p.vendor);
    if (p.vendor !== 'google' && !p.issuer) issue('issuer', `is required for vendor ${p.vendor}`);
    if (p.vendor !== 'google' && !p.clientId) issue('clientId', `is required for vendor ${p.vendor}`);
    if (p.vendor === 'google' && clientAuth !== 'none')
      issue('clientAuth', 'must be none for vendor google (Google STS takes no client authentication)');
    if (p.vendor !== 'google' && clientAuth === 'none') issue('clientAuth', `none is only for vendor google`);
    if (p.vendor === 'entra' && clientAuth === 'client_secret_basic')
      issue('clientAuth', 'must be client_secret_post or private_key_jwt for vendor entra');
    if (clientAuth === 'private_key_jwt' && !p.privateKeyEnv)
      issue('privateKeyEnv', 'is required when clientAuth is private_key_jwt');
    if ((clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post') && !p.clientSecretEnv) {
      issue('clientSecretEnv', `is required when clientAuth is ${clientAuth}`);
    }
    if (p.vendor === 'entra' && clientAuth === 'private_key_jwt') {
      if (!p.certificateEnv)
        issue('certificateEnv', 'is required for vendor entra with private_key_jwt (the certificate gives x5t#S256)');
      if (p.privateKeyAlg !== 'RS256' && p.privateKeyAlg !== 'PS256')
        issue('privateKeyAlg', 'must be RS256 or PS256 for vendor entra');
    }
    if (p.vendor === 'auth0') {
      if (!p.subjectTokenType)
        issue('subjectTokenType', 'is required for vendor auth0 (a URI of your own custom token exchange profile)');
      else if (AUTH0_RESERVED_TOKEN_TYPES.some((r) => r.test(p.subjectTokenType!)))
        issue(
          'subjectTokenType',
          'uses a namespace Auth0 reserves (urn:ietf, urn:auth0, urn:okta, auth0.com, okta.com)',
        );
    }
    if (p.revokeOnRunEnd && (p.vendor === 'entra' || p.vendor === 'google'))
      issue('revokeOnRunEnd', `is not supported by vendor ${p.vendor} (it has no RFC 7009 revocation endpoint)`);
    if (p.actor && NO_ACTOR_VENDORS.includes(p.vendor))
      issue('actor', `is not supported by vendor ${p.vendor} (it does not accept a JWT actor token)`);
  });

/** The client authentication a vendor uses when `clientAuth` is not set. */
export function defaultClientAuth(vendor: ExchangeVendor): 'client_secret_basic' | 'client_secret_post' | 'none' {
  switch (vendor) {
    case 'google':
      return 'none';
    case 'auth0':
    case 'entra':
      return 'client_secret_post';
    default:
      return 'client_secret_basic';
  }
}

/** The `subject_token_type` a vendor uses when `subjectTokenType` is not set. */
export function defaultSubjectTokenType(vendor: ExchangeVendor): string {
  return vendor === 'google' ? 'urn:ietf:params:oauth:token-type:jwt' : 'urn:ietf:params:oauth:token-type:access_token';
}

/** The `requested_token_type` a vendor sends when `requestedTokenType` is not set (none for generic, okta, entra, auth0). */
export function defaultRequestedTokenType(vendor: ExchangeVendor): string | undefined {
  return vendor === 'keycloak' || vendor === 'google' ? 'urn:ietf:params:oauth:token-type:access_token' : undefined;
}

/** The issuer a google profile stands for when none is set (actor tokens and audits name it). */
export function defaultIssuer(vendor: ExchangeVendor): string | undefined {
  return vendor === 'google' ? GOOGLE_STS_ISSUER : undefined;
}

const introspectionSchema = z.strictObject({
  endpoint: url.optional(),
  clientId: z.string().min(1),
  clientSecretEnv: z.string().min(1),
});

/** SPEC §10.1: one Shared Signals transmitter. */
const ssfTransmitterSchema = z
  .strictObject({
    issuer: url,
    metadataUrl: url.optional(),
    jwksUri: url.optional(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    requireTyp: z.boolean().default(true),
    subjectIssuer: url.optional(),
    delivery: z.enum(['push', 'poll']).default('push'),
    authorizationEnv: z.string().min(1).optional(),
    pollEndpoint: url.optional(),
    pollIntervalSeconds: z.number().positive().max(3600).default(5),
    manageStream: z.boolean().default(false),
  })
  .superRefine((t, ctx) => {
    if (t.delivery === 'poll' && !t.pollEndpoint)
      ctx.addIssue({ code: 'custom', path: ['pollEndpoint'], message: 'is required for delivery poll' });
    // The stream is managed with that bearer (SPEC §10.1); without one the transmitter could only refuse.
    if (t.manageStream && !t.authorizationEnv)
      ctx.addIssue({ code: 'custom', path: ['authorizationEnv'], message: 'is required with manageStream: true' });
    if (t.delivery === 'push' && t.pollEndpoint)
      ctx.addIssue({ code: 'custom', path: ['pollEndpoint'], message: 'is only for delivery poll' });
  });

const sharedSignalsSchema = z
  .strictObject({
    audience: z.string().min(1),
    // Baton's RFC 8935 push URL as transmitters reach it (Baton cannot know its public address):
    // what `manageStream` registers as a push stream's `endpoint_url`.
    endpointUrl: url
      .refine((u) => u.startsWith('https:') || LOOPBACK_URL.test(u), 'must be https (http only for a loopback host)')
      .optional(),
    transmitters: z.array(ssfTransmitterSchema).default([]),
  })
  .superRefine((s, ctx) => {
    const managedPush = s.transmitters.findIndex((t) => t.manageStream && t.delivery === 'push');
    if (managedPush >= 0 && !s.endpointUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['endpointUrl'],
        message: `is required: transmitters.${managedPush} has manageStream: true with delivery push`,
      });
    const seen = new Set<string>();
    s.transmitters.forEach((t, i) => {
      if (seen.has(t.issuer))
        ctx.addIssue({ code: 'custom', path: ['transmitters', i, 'issuer'], message: 'is configured twice' });
      seen.add(t.issuer);
    });
  });

/** The per-tenant keys of `baton.yaml` (SPEC §12.1): under `tenants.<name>`, or at the top level for the single tenant `default`. */
const tenantKeys = {
  trustedIssuers: z
    .array(
      z.strictObject({
        issuer: url,
        jwksUri: url.optional(),
        requireTyp: z.boolean().default(true),
        introspection: introspectionSchema.optional(),
      }),
    )
    .default([]),
  exchangeProfiles: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), exchangeProfileSchema).default({}),
  http: z
    .strictObject({
      // SPEC §16: `host`, `host:port`, `*.example.com` (the form is checked by libs/workflow's parseAllowedHost)
      allowedHosts: z.array(z.string().regex(ALLOWED_HOST, 'must be host, host:port or *.domain[:port]')).default([]),
      audienceOrigins: z
        .record(z.string().min(1), z.array(z.string().regex(ORIGIN, 'must be an origin scheme://host[:port]')))
        .optional(),
    })
    .prefault({}),
  // SPEC §14: the web console's public OpenID Connect settings (no secrets: it is a public PKCE client).
  console: z
    .strictObject({
      issuer: url,
      clientId: z.string().min(1),
      scopes: z.array(z.string().min(1)).default(['openid']),
      audience: z.string().min(1).optional(),
      redirectUri: url.optional(),
    })
    .optional(),
  notifications: z
    .strictObject({ webhookUrl: url, secretEnv: z.string().min(1), allowPrivate: z.boolean().default(false) })
    .optional(),
  sharedSignals: sharedSignalsSchema.optional(),
  /** SPEC §12.1: at most this many of the tenant's nodes run at once, across all workers. */
  maxConcurrentNodes: z.number().int().min(1).max(100_000).optional(),
};

/** The tenant without `tenants:` (SPEC §12.1). */
export const DEFAULT_TENANT = 'default';
const TENANT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Keys that belong to a tenant: with `tenants:`, any of them at the top level is a configuration error. */
export const PER_TENANT_KEYS = Object.keys(tenantKeys) as readonly string[];
const tenantSchema = z.strictObject(tenantKeys);

/** The shape of `baton.yaml` (SPEC §2). Unknown keys are errors. */
export const batonYamlSchema = z.strictObject({
  api: z
    .strictObject({
      audience: z.string().min(1).default('baton-api'),
      scopes: z
        .strictObject({
          workflowsWrite: z.string().min(1).default('baton:workflows:write'),
          runsReadAll: z.string().min(1).default('baton:runs:read_all'),
          auditRead: z.string().min(1).default('baton:audit:read'),
          escalationsResolve: z.string().min(1).default('baton:escalations:resolve'),
          workflowsAdmin: z.string().min(1).default('baton:workflows:admin'),
        })
        .prefault({}),
      cors: z
        .strictObject({
          origins: z
            .array(z.string().regex(/^https?:\/\/[^/?#\s]+$/, 'must be an origin: scheme://host[:port], no path'))
            .default([]),
        })
        .prefault({}),
      // SPEC §13: live event streams. A comment line every heartbeatSeconds; a client that lets more
      // than maxBufferedKiB pile up unread is dropped (it reconnects with Last-Event-ID).
      events: z
        .strictObject({
          heartbeatSeconds: z.number().positive().max(3600).default(15),
          maxBufferedKiB: z.int().min(16).max(65536).default(1024),
        })
        .prefault({}),
    })
    .prefault({}),
  ...tenantKeys,
  /** SPEC §12.1: tenants by name; without it, the keys above form the single tenant `default`. */
  tenants: z
    .record(z.string().regex(TENANT_NAME, 'must be a tenant name: a-z, 0-9, _ and -, at most 64'), tenantSchema)
    .optional(),
  escalationTtlSeconds: z.number().int().positive().default(86400),
  /** How many node jobs one worker runs at once: adapted between min and max to its completion round trips. */
  worker: z
    .strictObject({
      nodeConcurrency: z
        .strictObject({
          min: z.number().int().min(1).max(1024).default(4),
          max: z.number().int().min(1).max(1024).default(32),
          /** Above this mean completion round trip the limit shrinks; equal min and max fix it. */
          targetCompletionMs: z.number().positive().max(60_000).default(10),
        })
        .refine((c) => c.min <= c.max, { message: 'min must not exceed max', path: ['min'] })
        .prefault({}),
    })
    .prefault({}),
  /** SPEC §11: a run at this depth (the root is 0) cannot start a child run. */
  maxDelegationDepth: z.number().int().min(0).max(32).default(3),
  approvals: z.strictObject({ requireResolveScope: z.boolean().default(false) }).prefault({}),
});
export type BatonYaml = z.infer<typeof batonYamlSchema>;
export type TenantYaml = z.infer<typeof tenantSchema>;
export type ExchangeProfileYaml = z.infer<typeof exchangeProfileSchema>;

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Environment variables (SPEC §2). */
export const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres:postgres@127.0.0.1:5432/baton'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  BATON_CONFIG: z.string().min(1).default('./baton.yaml'),
  BATON_ENCRYPTION_KEY: z
    .string({ error: 'is required (32 random bytes, base64: `openssl rand -base64 32`)' })
    .refine((v) => isBase64Of32Bytes(v), 'must be 32 bytes encoded as base64'),
  BATON_ENCRYPTION_KEYS_PREVIOUS: z
    .string()
    .refine(
      (v) => v.trim() === '' || v.split(',').every((key) => isBase64Of32Bytes(key.trim())),
      'must be comma-separated keys, each 32 bytes encoded as base64',
    )
    .optional(),
  BATON_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .default('baton'),
  BATON_MIGRATE: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: logLevel.default('info'),
  /** OTLP/HTTP base URL (`http://collector:4318`); traces go to `<it>/v1/traces`. Unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
});
export type BatonEnv = z.infer<typeof envSchema>;

function isBase64Of32Bytes(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === 32;
}
