import { randomBytes } from 'node:crypto';
import { auth0Behaviour } from '../../test/support/vendors/auth0.js';
import { selfSignedCertificate } from '../../test/support/vendors/certificate.js';
import { entraBehaviour } from '../../test/support/vendors/entra.js';
import { googleBehaviour } from '../../test/support/vendors/google.js';
import { keycloakBehaviour } from '../../test/support/vendors/keycloak.js';
import { oktaBehaviour } from '../../test/support/vendors/okta.js';
import { VendorServer } from '../../test/support/vendors/vendor-server.js';
import { DEFAULT_CLIENT_ID, startDevAuthServer } from '../dev-auth-server/server.js';
import { BENCH_VENDORS, type BenchVendor, type FixtureMessage, type VendorFixture } from './vendor-cases.js';

/**
 * The authorization servers of the cold-exchange bench, in a process of their own (forked by
 * main.ts) so that their CPU is not counted as Baton's: the dev authorization server for `generic`
 * and the vendor-shaped test servers of `test/support/vendors` for the others. It mints every user
 * token the bench will present (distinct subjects, so every exchange misses the cache) and sends
 * the lot to the parent over IPC.
 */
const perVendor = Number(process.env.BENCH_EXCHANGES ?? 200) + 1; // + 1 warm-up exchange
const send = (message: FixtureMessage) => process.send!(message);

const secret = randomBytes(18).toString('base64url');
const cert = selfSignedCertificate();
const dev = await startDevAuthServer({
  port: 0,
  devMode: true,
  clients: [{ clientId: DEFAULT_CLIENT_ID, clientSecret: secret }],
  exchangedTokenTtlSeconds: 600,
});
const servers: Record<Exclude<BenchVendor, 'generic'>, VendorServer> = {
  keycloak: await VendorServer.start(keycloakBehaviour({ knownClients: ['expenses-api'] }), [
    { clientId: 'baton-worker', clientSecret: secret },
  ]),
  okta: await VendorServer.start(oktaBehaviour({ audiences: ['api://expenses'], policyScopes: ['expenses:read'] }), [
    { clientId: 'baton-service', clientSecret: secret },
  ]),
  auth0: await VendorServer.start(
    auth0Behaviour({ subjectTokenType: 'urn:acme:baton-user-token', apis: ['https://expenses.example.com'] }),
    [{ clientId: 'baton-m2m', clientSecret: secret }],
  ),
  entra: await VendorServer.start(
    entraBehaviour({
      apis: { 'api://expenses': ['Expenses.Read'] },
      clients: [
        { clientId: 'baton-app', clientSecret: secret },
        { clientId: 'baton-cert-app', certificate: cert.certificate },
      ],
      noConsent: new Set(),
    }),
  ),
  google: await VendorServer.start(
    googleBehaviour({
      providers: [
        '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/baton/providers/corp-idp',
      ],
    }),
  ),
};

async function devToken(sub: string): Promise<string> {
  const response = await fetch(`${dev.url}/admin/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, scope: 'bench:read', expiresIn: 3600 }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

const userToken: Record<BenchVendor, (sub: string) => Promise<string>> = {
  generic: devToken,
  keycloak: (sub) => servers.keycloak.mintUserToken(sub, ['expenses:read'], { aud: ['baton-api', 'baton-worker'] }),
  okta: (sub) => servers.okta.mintUserToken(sub, ['expenses:read']),
  auth0: (sub) => servers.auth0.mintUserToken(sub, ['read:expenses']),
  entra: (sub) => servers.entra.mintUserToken(sub, [], { scope: undefined, scp: 'baton.access' }),
  google: (sub) => servers.google.mintUserToken(sub, ['https://www.googleapis.com/auth/cloud-platform']),
};

const fixtures = {} as Record<BenchVendor, VendorFixture>;
for (const vendor of BENCH_VENDORS) {
  const tokens: string[] = [];
  for (let i = 0; i < perVendor; i++) tokens.push(await userToken[vendor](`bench-${vendor}-${i}`));
  const server = vendor === 'generic' ? undefined : servers[vendor];
  fixtures[vendor] = {
    issuer: server?.issuer ?? dev.issuer,
    tokenEndpoint: server?.tokenEndpoint ?? `${dev.url}/token`,
    tokens,
  };
}
send({ fixtures, clientSecret: secret, certificate: cert.certificate, privateKey: cert.privateKey });

// Stays up until the parent disconnects (or dies).
process.on('disconnect', () => {
  void Promise.all([dev.close(), ...Object.values(servers).map((s) => s.close())]).finally(() => process.exit(0));
});
