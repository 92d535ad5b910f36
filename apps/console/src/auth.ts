import * as oauth from 'oauth4webapi';

/** The api's public console settings (GET /console/config.json). */
export interface ConsoleSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
  audience?: string;
  redirectUri: string;
}

/** What must survive the redirect to the issuer and back; memory does not. */
interface PendingSignIn {
  verifier: string;
  state: string;
  returnTo: string;
  /** Set by Resume: the escalation to resolve with the fresh token. */
  resumeEscalation?: string;
  silent?: boolean;
}

export interface SignInOptions {
  loginHint?: string;
  extraScopes?: string[];
  /** `none`: silent re-login (no page when the issuer still has a session); `login`: sign in again. */
  prompt?: 'none' | 'login';
  resumeEscalation?: string;
}

export interface SignedIn {
  returnTo: string;
  resumeEscalation?: string;
}

/** Thrown on the callback when a silent re-login found no session at the issuer. */
export class SilentSignInFailed extends Error {}

/**
 * Tokens live in this module's memory only: no cookies, no web storage, never in a URL. A reload
 * loses them and signs in again (silently when the issuer still has a session).
 */
let accessToken: string | undefined;
let expiresAt = 0;

export function currentToken(): string | undefined {
  return accessToken && Date.now() < expiresAt - 5_000 ? accessToken : undefined;
}

/** `sub` and `scope` of the current token, for what the UI offers (the api decides what is allowed). */
export function currentIdentity(): { sub: string; scopes: string[] } | undefined {
  const payload = payloadOf(currentToken());
  if (!payload) return undefined;
  return { sub: String(payload.sub), scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [] };
}

/** A JWT's payload, unverified (the UI only chooses what to offer; the api verifies). */
function payloadOf(token: string | undefined): Record<string, unknown> | undefined {
  if (!token) return undefined;
  try {
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return undefined;
  }
}

/** Whether a token was obtained and will be unusable within `ms` (time to re-login before it is). */
export function tokenExpiresWithin(ms: number): boolean {
  return accessToken !== undefined && Date.now() >= expiresAt - 5_000 - ms;
}

/** The `sub` of the last token, valid or not: the `login_hint` of a silent re-login. */
export function lastSubject(): string | undefined {
  const sub = payloadOf(accessToken)?.sub;
  return typeof sub === 'string' ? sub : undefined;
}

export function signOut(): void {
  accessToken = undefined;
  expiresAt = 0;
}

function insecure(settings: ConsoleSettings) {
  return { [oauth.allowInsecureRequests]: new URL(settings.issuer).protocol === 'http:' };
}

let discovered: Promise<oauth.AuthorizationServer> | undefined;
function discover(settings: ConsoleSettings): Promise<oauth.AuthorizationServer> {
  discovered ??= (async () => {
    const issuer = new URL(settings.issuer);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure(settings) });
    return oauth.processDiscoveryResponse(issuer, response);
  })();
  return discovered;
}

/**
 * Authorization code + PKCE (S256) with a top-level redirect. The verifier and state go to
 * `window.name` for the round trip (not web storage, not a URL; cleared when read back).
 */
export async function signIn(settings: ConsoleSettings, returnTo: string, options: SignInOptions = {}): Promise<void> {
  const as = await discover(settings);
  const pending: PendingSignIn = {
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    returnTo,
    resumeEscalation: options.resumeEscalation,
    silent: options.prompt === 'none',
  };
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', settings.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', [...new Set([...settings.scopes, ...(options.extraScopes ?? [])])].join(' '));
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  // An issuer that needs to be told the api (Auth0's `audience`, RFC 8707 `resource`); the dev AS
  // defaults to Baton's API resource.
  if (settings.audience) {
    url.searchParams.set('audience', settings.audience);
    url.searchParams.set('resource', settings.audience);
  }
  if (options.loginHint) url.searchParams.set('login_hint', options.loginHint);
  if (options.prompt) url.searchParams.set('prompt', options.prompt);
  window.name = JSON.stringify({ batonSignIn: pending });
  window.location.assign(url.href);
}

/** Finishes sign-in on /console/callback (and drops code and state from the address bar). */
export async function completeSignIn(settings: ConsoleSettings): Promise<SignedIn> {
  let pending: PendingSignIn | undefined;
  try {
    pending = JSON.parse(window.name).batonSignIn;
  } catch {
    pending = undefined;
  }
  window.name = '';
  const callbackUrl = new URL(window.location.href);
  window.history.replaceState(null, '', '/console/');
  if (!pending) throw new Error('no sign-in in progress');
  const as = await discover(settings);
  const client: oauth.Client = { client_id: settings.clientId };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, callbackUrl, pending.state);
  } catch (err) {
    if (pending.silent) throw new SilentSignInFailed(pending.returnTo);
    throw err;
  }
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    settings.redirectUri,
    pending.verifier,
    { ...insecure(settings), additionalParameters: settings.audience ? { resource: settings.audience } : {} },
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: false });
  accessToken = result.access_token;
  expiresAt = Date.now() + (result.expires_in ?? 300) * 1000;
  return { returnTo: pending.returnTo, resumeEscalation: pending.resumeEscalation };
}
