import * as oauth from 'oauth4webapi';

/** The api's public console settings (GET /console/config.json). */
export interface ConsoleSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
  audience: string;
  redirectUri: string;
}

/** Tokens live in this module's memory only: no cookies, no web storage, never in a URL. */
let accessToken: string | undefined;
let expiresAt = 0;

export function currentToken(): string | undefined {
  return accessToken && Date.now() < expiresAt ? accessToken : undefined;
}

export function signOut(): void {
  accessToken = undefined;
  expiresAt = 0;
}

async function discover(settings: ConsoleSettings): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(settings.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: issuer.protocol === 'http:' });
  return oauth.processDiscoveryResponse(issuer, response);
}

/**
 * Starts authorization code + PKCE (S256). The verifier and state must survive the redirect, and
 * memory does not; they go to the window's name (not storage, not a URL, gone once read).
 */
export async function signIn(settings: ConsoleSettings, returnTo: string, loginHint?: string, extraScopes: string[] = []): Promise<void> {
  const as = await discover(settings);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', settings.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', [...new Set([...settings.scopes, ...extraScopes])].join(' '));
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('resource', settings.audience);
  if (loginHint) url.searchParams.set('login_hint', loginHint);
  window.name = JSON.stringify({ baton: { verifier, state, returnTo } });
  window.location.assign(url.href);
}

/** Finishes sign-in on /console/callback; returns where the user was. */
export async function completeSignIn(settings: ConsoleSettings): Promise<string> {
  let pending: { verifier: string; state: string; returnTo: string };
  try {
    pending = JSON.parse(window.name).baton;
  } catch {
    throw new Error('no sign-in in progress');
  }
  window.name = '';
  const as = await discover(settings);
  const client: oauth.Client = { client_id: settings.clientId };
  const insecure = { [oauth.allowInsecureRequests]: new URL(settings.issuer).protocol === 'http:' };
  const params = oauth.validateAuthResponse(as, client, new URL(window.location.href), pending.state);
  window.history.replaceState(null, '', '/console/');
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, settings.redirectUri, pending.verifier, {
    ...insecure,
    additionalParameters: { resource: settings.audience },
  });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: false });
  accessToken = result.access_token;
  expiresAt = Date.now() + (result.expires_in ?? 300) * 1000;
  return pending.returnTo;
}
