import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A signing key of a test issuer: the private half signs tokens, the public half is published. */
export interface TestSigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** How the issuer's endpoints answer: normally, with a 500, with HTML, or never. */
export type LocalIssuerBehaviour = 'ok' | 'server_error' | 'not_json' | 'hang';

export async function generateSigningKey(alg: string, kid: string): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/**
 * A real OIDC issuer on 127.0.0.1 (random port) for tests: serves
 * `/.well-known/openid-configuration` and `/jwks`, counts requests per path, and can be switched
 * to failing answers or to a new set of keys at any time.
 */
export class LocalIssuer {
  readonly requests = new Map<string, number>();
  behaviour: LocalIssuerBehaviour = 'ok';
  publishedKeys: TestSigningKey[] = [];
  /** The `issuer` the discovery document claims; its own URL unless a test sets another. */
  advertisedIssuer?: string;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(keys: TestSigningKey[] = []): Promise<LocalIssuer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const issuer = new LocalIssuer(server, `http://127.0.0.1:${port}`);
    issuer.publishedKeys = keys;
    server.on('request', (req, res) => issuer.answer(req, res));
    return issuer;
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  requestCount(path: '/.well-known/openid-configuration' | '/jwks'): number {
    return this.requests.get(path) ?? 0;
  }

  /** Signs a token with `key`; `iss`, `iat`, `exp` (+5 min) default sensibly and may be overridden. */
  async sign(key: TestSigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Pooled keep-alive and hanging requests would otherwise hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', this.issuer).pathname;
    this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
    switch (this.behaviour) {
      case 'hang':
        return;
      case 'server_error':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
        return;
      case 'not_json':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      case 'ok':
        break;
    }
    if (path === '/.well-known/openid-configuration') {
      this.json(res, {
        issuer: this.advertisedIssuer ?? this.issuer,
        jwks_uri: this.jwksUri,
        token_endpoint: `${this.issuer}/token`,
      });
    } else if (path === '/jwks') {
      this.json(res, { keys: this.publishedKeys.map((key) => key.publicJwk) });
    } else {
      res.writeHead(404).end();
    }
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
