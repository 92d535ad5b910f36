import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';

/**
 * The bench's Shared Signals transmitter: SSF metadata and a JWKS on a loopback port (Baton fetches
 * its key from there, as from an IdP), and CAEP `session-revoked` SETs signed with that key.
 */
export class BenchTransmitter {
  readonly issuer: string;

  private constructor(
    private readonly server: Server,
    private readonly key: CryptoKey,
  ) {
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<BenchTransmitter> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' };
    let issuer = '';
    const server = createServer((req, res) => {
      const answer = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/.well-known/ssf-configuration')
        return answer(200, { spec_version: '1_0', issuer, jwks_uri: `${issuer}/jwks`, delivery_methods_supported: [] });
      if (req.url === '/jwks') return answer(200, { keys: [jwk] });
      answer(404, {});
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const self = new BenchTransmitter(server, privateKey);
    issuer = self.issuer;
    return self;
  }

  /** A signed session-revoked SET for `audience` naming the user `(subjectIssuer, sub)`. */
  sessionRevoked(audience: string, subjectIssuer: string, sub: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      jti: randomUUID(),
      sub_id: { format: 'iss_sub', iss: subjectIssuer, sub },
      events: { [SESSION_REVOKED]: { event_timestamp: now } },
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench-1', typ: 'secevent+jwt' })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .sign(this.key);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}
