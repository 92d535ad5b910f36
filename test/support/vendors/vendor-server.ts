import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

/**
 * The common half of the vendor-shaped authorization servers tests run Baton against
 * (`keycloak.ts`, `okta.ts`, …): it signs user tokens, publishes discovery and JWKS, verifies
 * presented tokens, authenticates clients, records every token request exactly as it arrived, and
 * issues tokens. Each vendor module supplies what its vendor checks and answers (`VendorBehaviour`),
 * following that vendor's public documentation, so a test fails when Baton sends what the real
 * server would refuse.
 */

/** A token request as it reached the server. */
export interface RecordedTokenRequest {
  form: Record<string, string>;
  /** Form fields that appeared more than once (a conformant client never repeats one). */
  repeated: string[];
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

/** An answer of the token endpoint. */
export interface VendorAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
}

/** Everything a vendor module can use to check a request and build its answer. */
export interface VendorContext {
  server: VendorServer;
  request: RecordedTokenRequest;
}

export interface VendorBehaviour {
  /** e.g. `keycloak`; used in messages. */
  name: string;
  /** Path of the issuer below the server's origin, e.g. `/realms/baton` (no trailing slash unless the vendor writes one). */
  issuerPath: string;
  /** Path of the token endpoint below the origin. */
  tokenPath: string;
  /** Path of the RFC 7662 introspection endpoint, when the vendor has one. */
  introspectionPath?: string;
  /** Checks the request and answers it (`server.issue(...)` for success). */
  handleToken(context: VendorContext): Promise<VendorAnswer>;
}

export interface IssueOptions {
  sub: string;
  audience: string | string[];
  scope: string;
  /** The answer's `scope` (default: the same as the token's); `null` leaves it out. */
  answerScope?: string | null;
  act?: unknown;
  /** Opaque tokens (Google STS): a random string, no JWT, no `jti`. */
  opaque?: boolean;
  expiresIn?: number;
  extra?: Record<string, unknown>;
}

export class VendorServer {
  readonly tokenRequests: RecordedTokenRequest[] = [];
  readonly introspectionRequests: RecordedTokenRequest[] = [];
  /** Every access token this server issued, in order. */
  readonly issued: string[] = [];
  readonly clients = new Map<string, RegisteredClient>();
  /** Users whose tokens this server considers revoked. */
  readonly revokedSubjects = new Set<string>();
  /** Scripted answers per user (`sub` of the subject token): answered instead of the vendor's own. */
  readonly scripted = new Map<string, VendorAnswer>();
  /** Opaque user tokens (RFC 7662 introspection), with what introspection answers for each. */
  readonly opaqueTokens = new Map<string, Record<string, unknown>>();
  /** When set, the introspection endpoint answers 503. */
  introspectionDown = false;
  /** When set, verifies actor tokens against this JWKS (Baton's `/.well-known/jwks.json`). */
  actorJwksUri?: string;

  private constructor(
    private readonly http: Server,
    readonly origin: string,
    readonly behaviour: VendorBehaviour,
    private readonly key: { kid: string; privateKey: CryptoKey; publicJwk: JWK },
  ) {}

  static async start(behaviour: VendorBehaviour, clients: RegisteredClient[] = []): Promise<VendorServer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `${behaviour.name}-key-1`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    let self: VendorServer | undefined;
    const http = createServer((req, res) => void self!.handle(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    self = new VendorServer(http, `http://127.0.0.1:${(http.address() as AddressInfo).port}`, behaviour, {
      kid,
      privateKey,
      publicJwk,
    });
    for (const client of clients) self.clients.set(client.clientId, client);
    return self;
  }

  get issuer(): string {
    return `${this.origin}${this.behaviour.issuerPath}`;
  }

  get tokenEndpoint(): string {
    return `${this.origin}${this.behaviour.tokenPath}`;
  }

  get jwksUri(): string {
    return `${this.origin}/jwks`;
  }

  get publicJwk(): JWK {
    return this.key.publicJwk;
  }

  /** The last token request whose subject (or assertion) belongs to `sub`. */
  lastRequestOf(sub: string): RecordedTokenRequest | undefined {
    return [...this.tokenRequests].reverse().find((r) => subOf(r.form.subject_token ?? r.form.assertion) === sub);
  }

  /** A user access token of this issuer: aud includes `baton-api`, typ at+jwt. */
  async mintUserToken(
    sub: string,
    scopes: string[],
    claims: Record<string, unknown> = {},
    expiresIn = 3600,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: scopes.join(' '), client_id: 'user-app', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: this.key.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setSubject(sub)
      .setAudience((claims.aud as string[] | undefined) ?? ['baton-api'])
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
  }

  /** An opaque user token, known only to this server's introspection endpoint. */
  mintOpaqueUserToken(sub: string, scopes: string[], expiresIn = 3600, extra: Record<string, unknown> = {}): string {
    const token = `opaque-${randomBytes(18).toString('base64url')}`;
    this.opaqueTokens.set(token, {
      active: true,
      iss: this.issuer,
      sub,
      scope: scopes.join(' '),
      exp: Math.floor(Date.now() / 1000) + expiresIn,
      ...extra,
    });
    return token;
  }

  /** Verifies a token this server issued to a user (signature, issuer, expiry); the payload or why not. */
  async verifyUserToken(
    token: string | undefined,
  ): Promise<{ ok: true; payload: JWTPayload } | { ok: false; reason: 'missing' | 'expired' | 'invalid' }> {
    if (!token) return { ok: false, reason: 'missing' };
    const opaque = this.opaqueTokens.get(token);
    if (opaque)
      return Number(opaque.exp) * 1000 > Date.now()
        ? { ok: true, payload: opaque as JWTPayload }
        : { ok: false, reason: 'expired' };
    try {
      const { payload } = await jwtVerify(token, this.key.publicJwk, {
        issuer: this.issuer,
        requiredClaims: ['exp', 'sub'],
      });
      return { ok: true, payload };
    } catch (err) {
      return { ok: false, reason: (err as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' };
    }
  }

  /**
   * RFC 8693 actor token check: signature by Baton's published keys (`actorJwksUri`), `aud` this
   * issuer, `exp` at most 60 s after `iat`. Returns its payload or an error answer.
   */
  async verifyActorToken(form: Record<string, string>): Promise<{ payload?: JWTPayload; error?: VendorAnswer }> {
    if (form.actor_token === undefined) return {};
    if (form.actor_token_type !== 'urn:ietf:params:oauth:token-type:jwt')
      return { error: oauthError(400, 'invalid_request', 'unsupported actor_token_type') };
    if (!this.actorJwksUri) return { error: oauthError(400, 'invalid_request', 'actor tokens are not accepted') };
    try {
      const { payload, protectedHeader } = await jwtVerify(
        form.actor_token,
        createRemoteJWKSet(new URL(this.actorJwksUri)),
        {
          audience: this.issuer,
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'iss'],
          typ: 'JWT',
        },
      );
      if (!protectedHeader.kid) return { error: oauthError(400, 'invalid_request', 'actor_token has no kid') };
      if (payload.exp! - payload.iat! > 60)
        return { error: oauthError(400, 'invalid_request', 'actor_token lives too long') };
      return { payload };
    } catch (err) {
      return { error: oauthError(400, 'invalid_request', `actor_token rejected: ${(err as Error).message}`) };
    }
  }

  /** Client authentication by `client_secret_basic` or `client_secret_post`, as RFC 6749 §2.3.1. */
  authenticateClient(
    request: RecordedTokenRequest,
    allowed: Array<'basic' | 'post'>,
  ): { clientId?: string; method?: 'basic' | 'post'; error?: VendorAnswer } {
    const header = request.headers.authorization;
    const basic = typeof header === 'string' && header.startsWith('Basic ');
    const post = request.form.client_secret !== undefined;
    if (basic && post)
      return { error: oauthError(400, 'invalid_request', 'more than one client authentication method') };
    let clientId: string | undefined;
    let secret: string | undefined;
    let method: 'basic' | 'post' | undefined;
    if (basic) {
      ({ clientId, clientSecret: secret } = basicCredentials(header)!);
      method = 'basic';
    } else if (post) {
      clientId = request.form.client_id;
      secret = request.form.client_secret;
      method = 'post';
    }
    if (!method || !allowed.includes(method))
      return { error: oauthError(401, 'invalid_client', 'client authentication failed') };
    const client = clientId === undefined ? undefined : this.clients.get(clientId);
    if (!client || client.clientSecret !== secret)
      return { error: oauthError(401, 'invalid_client', 'client authentication failed') };
    return { clientId, method };
  }

  /** Issues an access token and builds the RFC 6749 §5.1 answer. */
  async issue(
    options: IssueOptions,
    tokenType = 'urn:ietf:params:oauth:token-type:access_token',
  ): Promise<VendorAnswer> {
    const expiresIn = options.expiresIn ?? 300;
    let token: string;
    if (options.opaque) {
      token = `ya29.${randomBytes(24).toString('base64url')}`;
    } else {
      const now = Math.floor(Date.now() / 1000);
      token = await new SignJWT({ scope: options.scope, ...(options.act !== undefined && { act: options.act }) })
        .setProtectedHeader({ alg: 'RS256', kid: this.key.kid, typ: 'at+jwt' })
        .setIssuer(this.issuer)
        .setSubject(options.sub)
        .setAudience(options.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresIn)
        .setJti(randomUUID())
        .sign(this.key.privateKey);
    }
    this.issued.push(token);
    const answerScope = options.answerScope === undefined ? options.scope : options.answerScope;
    return {
      status: 200,
      body: {
        access_token: token,
        issued_token_type: tokenType,
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(answerScope !== null && { scope: answerScope }),
        ...options.extra,
      },
    };
  }

  close(): Promise<void> {
    this.http.closeAllConnections();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const send = (answer: VendorAnswer) => {
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...answer.headers,
      });
      res.end(JSON.stringify(answer.body));
    };

    if (
      req.method === 'GET' &&
      url.pathname === `${this.behaviour.issuerPath.replace(/\/$/, '')}/.well-known/openid-configuration`
    ) {
      return send({
        status: 200,
        body: {
          issuer: this.issuer,
          token_endpoint: this.tokenEndpoint,
          jwks_uri: this.jwksUri,
          ...(this.behaviour.introspectionPath && {
            introspection_endpoint: `${this.origin}${this.behaviour.introspectionPath}`,
          }),
          grant_types_supported: [
            'urn:ietf:params:oauth:grant-type:token-exchange',
            'urn:ietf:params:oauth:grant-type:jwt-bearer',
          ],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
        },
      });
    }
    if (req.method === 'GET' && url.pathname === '/jwks')
      return send({ status: 200, body: { keys: [this.key.publicJwk] } });

    const isToken = req.method === 'POST' && url.pathname === this.behaviour.tokenPath;
    const isIntrospection =
      req.method === 'POST' &&
      this.behaviour.introspectionPath !== undefined &&
      url.pathname === this.behaviour.introspectionPath;
    if (!isToken && !isIntrospection) return send({ status: 404, body: { error: 'not_found' } });

    const params = new URLSearchParams(text);
    const form: Record<string, string> = {};
    const repeated: string[] = [];
    for (const [name, value] of params) {
      if (name in form) repeated.push(name);
      form[name] = value;
    }
    const request: RecordedTokenRequest = { form, repeated, headers: { ...req.headers }, at: Date.now() };

    if (isIntrospection) {
      this.introspectionRequests.push(request);
      return send(this.introspect(request));
    }
    this.tokenRequests.push(request);
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return send(oauthError(400, 'invalid_request', 'the token endpoint takes application/x-www-form-urlencoded'));
    }
    if (repeated.length > 0)
      return send(oauthError(400, 'invalid_request', `repeated parameters: ${repeated.join(', ')}`));
    const scripted = this.scripted.get(subOf(form.subject_token ?? form.assertion) ?? '');
    if (scripted) return send(scripted);
    try {
      return send(await this.behaviour.handleToken({ server: this, request }));
    } catch (err) {
      return send(oauthError(500, 'server_error', (err as Error).message));
    }
  }

  /** RFC 7662: client_secret_basic, `token` → the stored answer or `{active: false}`. */
  private introspect(request: RecordedTokenRequest): VendorAnswer {
    if (this.introspectionDown) return { status: 503, body: { error: 'temporarily_unavailable' } };
    const auth = this.authenticateClient(request, ['basic', 'post']);
    if (auth.error) return auth.error;
    const answer = this.opaqueTokens.get(request.form.token ?? '');
    if (!answer || this.revokedSubjects.has(String(answer.sub)) || Number(answer.exp) * 1000 < Date.now())
      return { status: 200, body: { active: false } };
    return { status: 200, body: answer };
  }
}

/** An OAuth error answer (RFC 6749 §5.2). */
export function oauthError(
  status: number,
  error: string,
  description?: string,
  extra: Record<string, unknown> = {},
): VendorAnswer {
  return { status, body: { error, ...(description !== undefined && { error_description: description }), ...extra } };
}

/** The `sub` of a JWT, read without verification (to pick scripted answers); undefined otherwise. */
export function subOf(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const sub = decodeJwt(token).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Audience values of a JWT payload as a list. */
export function audiencesOf(payload: JWTPayload): string[] {
  return payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The client id and secret of an RFC 6749 §2.3.1 Basic header (each form-urlencoded before base64). */
export function basicCredentials(
  header: string | string[] | undefined,
): { clientId: string; clientSecret: string } | undefined {
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const unescape = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
  return { clientId: unescape(decoded.slice(0, colon)), clientSecret: unescape(decoded.slice(colon + 1)) };
}
