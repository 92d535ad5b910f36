import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { SsfStreamStore } from '../../tools/dev-auth-server/ssf-streams.js';

export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';

export interface SetOptions {
  /** Claims merged over the defaults (`undefined` removes one). */
  claims?: Record<string, unknown>;
  /** Header members merged over `{alg, kid, typ}` (`undefined` removes one). */
  header?: Record<string, unknown>;
  /** Sign with a key the transmitter does not publish. */
  foreignKey?: boolean;
  /** Sign with this key id (published or not). */
  kid?: string;
}

/**
 * A Shared Signals transmitter for tests, on a loopback port: SSF metadata at
 * `/.well-known/ssf-configuration`, its JWKS, SETs signed (or forged) on demand, an RFC 8936 poll
 * endpoint at `/poll`, and the dev authorization server's stream configuration endpoint at
 * `/ssf/stream` (behind `streamBearer`).
 */
export class SsfTestTransmitter {
  readonly issuer: string;
  /** JWKS fetches seen, to assert on refetches. */
  jwksFetches = 0;
  /** RFC 8936 poll requests seen (bodies and bearer). */
  readonly polls: {
    body: { ack?: string[]; setErrs?: Record<string, { err: string }> };
    authorization?: string;
    at: number;
  }[] = [];
  /** SETs waiting to be polled, by jti, and how many a poll answer holds at most. */
  readonly pending = new Map<string, string>();
  pollBatch = 2;
  /** The next this many polls answer 503. */
  failPolls = 0;
  /** Its SSF 1.0 stream configuration endpoint: the streams and the requests it saw. */
  readonly streams: SsfStreamStore;
  private readonly published: JWK[] = [];

  private constructor(
    private readonly server: Server,
    private readonly keys: Map<string, CryptoKey>,
    private readonly foreign: CryptoKey,
    port: number,
    options: { streamBearer?: string; audience?: string },
  ) {
    this.issuer = `http://127.0.0.1:${port}`;
    this.streams = new SsfStreamStore({
      issuer: this.issuer,
      audience: options.audience ?? 'baton-ssf',
      ...(options.streamBearer && { bearer: options.streamBearer }),
      pollEndpoint: `${this.issuer}/poll`,
      eventsSupported: [SESSION_REVOKED],
    });
  }

  static async start(options: { streamBearer?: string; audience?: string } = {}): Promise<SsfTestTransmitter> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const foreign = (await generateKeyPair('ES256')).privateKey;
    let self: SsfTestTransmitter | undefined;
    const server = createServer((req, res) => {
      const body = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/.well-known/ssf-configuration')
        return body(200, {
          issuer: self!.issuer,
          jwks_uri: `${self!.issuer}/jwks`,
          configuration_endpoint: `${self!.issuer}/ssf/stream`,
          delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
        });
      if (req.url?.split('?')[0] === '/ssf/stream') return void self!.streams.handle(req, res);
      if (req.url === '/poll' && req.method === 'POST') {
        let raw = '';
        req.on('data', (c) => (raw += c));
        req.on('end', () => {
          const parsed = JSON.parse(raw || '{}');
          self!.polls.push({ body: parsed, authorization: req.headers.authorization, at: Date.now() });
          for (const jti of [...(parsed.ack ?? []), ...Object.keys(parsed.setErrs ?? {})]) self!.pending.delete(jti);
          if (self!.failPolls > 0) {
            self!.failPolls--;
            return body(503, { error: 'unavailable' });
          }
          const batch = [...self!.pending].slice(0, self!.pollBatch);
          body(200, { sets: Object.fromEntries(batch), moreAvailable: self!.pending.size > batch.length });
        });
        return;
      }
      if (req.url === '/jwks') {
        self!.jwksFetches++;
        return body(200, { keys: self!.published });
      }
      body(404, {});
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    self = new SsfTestTransmitter(
      server,
      new Map([['k1', privateKey]]),
      foreign,
      (server.address() as AddressInfo).port,
      options,
    );
    self.published.push({ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' });
    return self;
  }

  /** Publishes a new key (a rotation): SETs signed with it verify once the receiver refetches. */
  async rotate(kid: string): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    this.keys.set(kid, privateKey);
    this.published.push({ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' });
  }

  /** A signed SET for `audience` naming `sub` (iss_sub) with one session-revoked event. */
  async set(audience: string, sub: string, options: SetOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims = withoutUndefined({
      iss: this.issuer,
      aud: audience,
      iat: now,
      jti: randomUUID(),
      sub_id: { format: 'iss_sub', iss: this.issuer, sub },
      events: { [SESSION_REVOKED]: { event_timestamp: now } },
      ...options.claims,
    });
    const kid = options.kid ?? 'k1';
    const header = withoutUndefined({ alg: 'ES256', kid, typ: 'secevent+jwt', ...options.header });
    const key = options.foreignKey ? this.foreign : (this.keys.get(kid) ?? this.foreign);
    return new SignJWT(claims as JWTPayload).setProtectedHeader(header as never).sign(key);
  }

  /** Queues a SET for the next polls (until acknowledged or reported). */
  async enqueue(set: string): Promise<string> {
    const jti =
      JSON.parse(Buffer.from(set.split('.')[1]!, 'base64url').toString('utf8')).jti ?? `no-jti-${this.pending.size}`;
    this.pending.set(jti, set);
    return jti;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** A compact JWS with `alg` none or HS256 (jose refuses to make those for a SET; built by hand). */
export function unsignedSet(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}
