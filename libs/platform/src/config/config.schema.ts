import { z } from 'zod';

/** Scope names that gate API operations (SPEC §2 `api.scopes`). */
export const ApiScopeKey = {
  WorkflowsWrite: 'workflowsWrite',
  RunsReadAll: 'runsReadAll',
  AuditRead: 'auditRead',
  EscalationsResolve: 'escalationsResolve',
} as const;
export type ApiScopeKey = (typeof ApiScopeKey)[keyof typeof ApiScopeKey];

const url = z.url({ protocol: /^https?$/ });

const exchangeProfileSchema = z
  .strictObject({
    issuer: url,
    tokenEndpoint: url.optional(),
    clientId: z.string().min(1),
    clientAuth: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).default('client_secret_basic'),
    clientSecretEnv: z.string().min(1).optional(),
    privateKeyEnv: z.string().min(1).optional(),
    privateKeyAlg: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']).default('RS256'),
    subjectTokenType: z.string().min(1).default('urn:ietf:params:oauth:token-type:access_token'),
    requestedTokenType: z.string().min(1).optional(),
    extraParams: z.record(z.string(), z.string()).default({}),
    expirySkewSeconds: z.number().int().min(0).max(3600).default(30),
  })
  .superRefine((p, ctx) => {
    if (p.clientAuth === 'private_key_jwt' && !p.privateKeyEnv) {
      ctx.addIssue({ code: 'custom', path: ['privateKeyEnv'], message: 'is required when clientAuth is private_key_jwt' });
    }
    if (p.clientAuth !== 'private_key_jwt' && !p.clientSecretEnv) {
      ctx.addIssue({ code: 'custom', path: ['clientSecretEnv'], message: `is required when clientAuth is ${p.clientAuth}` });
    }
  });

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
        })
        .prefault({}),
      cors: z
        .strictObject({
          origins: z
            .array(z.string().regex(/^https?:\/\/[^/?#\s]+$/, 'must be an origin: scheme://host[:port], no path'))
            .default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  trustedIssuers: z.array(z.strictObject({ issuer: url, jwksUri: url.optional() })).default([]),
  exchangeProfiles: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), exchangeProfileSchema).default({}),
  http: z.strictObject({ allowedHosts: z.array(z.string().min(1)).default([]) }).prefault({}),
  escalationTtlSeconds: z.number().int().positive().default(86400),
  notifications: z.strictObject({ webhookUrl: url, secretEnv: z.string().min(1) }).optional(),
});
export type BatonYaml = z.infer<typeof batonYamlSchema>;
export type ExchangeProfileYaml = z.infer<typeof exchangeProfileSchema>;

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Environment variables (SPEC §2). */
export const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgres://postgres:postgres@127.0.0.1:5432/baton'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  BATON_CONFIG: z.string().min(1).default('./baton.yaml'),
  BATON_ENCRYPTION_KEY: z
    .string({ error: 'is required (32 random bytes, base64: `openssl rand -base64 32`)' })
    .refine((v) => isBase64Of32Bytes(v), 'must be 32 bytes encoded as base64'),
  BATON_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).default('baton'),
  BATON_MIGRATE: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: logLevel.default('info'),
});
export type BatonEnv = z.infer<typeof envSchema>;

function isBase64Of32Bytes(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === 32;
}
