/**
 * The cold-exchange bench's cases (issue 11: "cold exchange path per vendor strategy ≤ generic
 * ±10 %"): one exchange profile per vendor strategy, configured as the vendor's fixture expects
 * (the same settings as test/vendor-*.e2e-spec.ts), and what each exchange asks for.
 */
/** The servers: `generic` is the dev authorization server, the rest test/support/vendors fixtures. */
export const BENCH_VENDORS = ['generic', 'keycloak', 'okta', 'auth0', 'entra', 'google'] as const;
export type BenchVendor = (typeof BENCH_VENDORS)[number];

export interface VendorFixture {
  issuer: string;
  tokenEndpoint: string;
  /** One user token per exchange, each of its own subject: every exchange misses the cache. */
  tokens: string[];
}

/** What the fixtures process sends once its servers are up. */
export interface FixtureMessage {
  fixtures: Record<BenchVendor, VendorFixture>;
  clientSecret: string;
  certificate: string;
  privateKey: string;
}

export interface BenchCase {
  /** The exchange profile's name; also the report's label. */
  name: string;
  /** Whose server answers (and minted the user tokens). */
  fixture: BenchVendor;
  /** Compared with `generic` against the ±10 % target; otherwise reported for information. */
  compared: boolean;
  profile(fixture: VendorFixture): Record<string, unknown>;
  audience: string;
  scopes: string[];
}

const SECRET_ENV = 'BENCH_CLIENT_SECRET';
export const BENCH_SECRET_ENVS = {
  secret: SECRET_ENV,
  key: 'BENCH_PRIVATE_KEY',
  certificate: 'BENCH_CERTIFICATE',
} as const;

export const BENCH_CASES: readonly BenchCase[] = [
  {
    name: 'generic',
    // The reference: the generic RFC 8693 strategy against the Keycloak-shaped server (which speaks
    // plain RFC 8693), so that generic and each vendor differ in the strategy, not in the server.
    fixture: 'keycloak',
    compared: true,
    profile: (f) => ({
      issuer: f.issuer,
      clientId: 'baton-worker',
      clientAuth: 'client_secret_basic',
      clientSecretEnv: SECRET_ENV,
    }),
    audience: 'expenses-api',
    scopes: ['expenses:read'],
  },
  {
    name: 'keycloak',
    fixture: 'keycloak',
    compared: true,
    profile: (f) => ({ vendor: 'keycloak', issuer: f.issuer, clientId: 'baton-worker', clientSecretEnv: SECRET_ENV }),
    audience: 'expenses-api',
    scopes: ['expenses:read'],
  },
  {
    name: 'okta',
    fixture: 'okta',
    compared: true,
    profile: (f) => ({ vendor: 'okta', issuer: f.issuer, clientId: 'baton-service', clientSecretEnv: SECRET_ENV }),
    audience: 'api://expenses',
    scopes: ['expenses:read'],
  },
  {
    name: 'auth0',
    fixture: 'auth0',
    compared: true,
    profile: (f) => ({
      vendor: 'auth0',
      issuer: f.issuer,
      clientId: 'baton-m2m',
      clientSecretEnv: SECRET_ENV,
      subjectTokenType: 'urn:acme:baton-user-token',
    }),
    audience: 'https://expenses.example.com',
    scopes: ['read:expenses'],
  },
  {
    name: 'entra',
    fixture: 'entra',
    compared: true,
    profile: (f) => ({
      vendor: 'entra',
      issuer: f.issuer,
      clientId: 'baton-app',
      clientSecretEnv: SECRET_ENV,
      scopeSource: 'authorization-server',
    }),
    audience: 'api://expenses',
    scopes: ['Expenses.Read'],
  },
  {
    name: 'google',
    fixture: 'google',
    compared: true,
    profile: (f) => ({
      vendor: 'google',
      tokenEndpoint: f.tokenEndpoint,
      extraParams: { options: '{"userProject":"baton-demo"}' },
    }),
    audience: '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/baton/providers/corp-idp',
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  },
  {
    // Entra's certificate credential signs a client assertion (PS256, x5t#S256) per request: a
    // different client authentication, not a different strategy, so it is shown beside the others.
    name: 'entra-certificate',
    fixture: 'entra',
    compared: false,
    profile: (f) => ({
      vendor: 'entra',
      issuer: f.issuer,
      clientId: 'baton-cert-app',
      clientAuth: 'private_key_jwt',
      privateKeyEnv: BENCH_SECRET_ENVS.key,
      privateKeyAlg: 'PS256',
      certificateEnv: BENCH_SECRET_ENVS.certificate,
      scopeSource: 'authorization-server',
    }),
    audience: 'api://expenses',
    scopes: ['Expenses.Read'],
  },
  {
    // The generic strategy against Baton's own dev authorization server (oidc-provider): its
    // answers differ from the fixtures' (headers, token size), so it is shown, not compared.
    name: 'generic-dev-as',
    fixture: 'generic',
    compared: false,
    profile: (f) => ({
      issuer: f.issuer,
      clientId: 'baton-worker',
      clientAuth: 'client_secret_basic',
      clientSecretEnv: SECRET_ENV,
    }),
    audience: 'https://bench.example.com',
    scopes: ['bench:read'],
  },
];
