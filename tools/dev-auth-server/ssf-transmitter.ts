import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './signing-key.js';
import { SsfStreamStore } from './ssf-streams.js';

export const SESSION_REVOKED_EVENT = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** Where its SSF 1.0 stream configuration endpoint is. */
export const SSF_STREAM_PATH = '/ssf/stream';

/** Where the dev authorization server pushes its Security Event Tokens (RFC 8935). */
export interface SsfReceiver {
  url: string;
  /** The `aud` of the SETs it gets (Baton's `sharedSignals.audience`). */
  audience: string;
  /** Sent as `Authorization: Bearer …` when set. */
  bearer?: string;
}

/**
 * The dev authorization server as a Shared Signals transmitter (SPEC §10): SSF 1.0 metadata, a
 * stream configuration endpoint (push streams only, behind `streamBearer`), and CAEP
 * `session-revoked` SETs, signed with the server's own key (published at its JWKS) and pushed to
 * every configured receiver and every push stream's endpoint when a user's session is revoked.
 */
export class SessionEventTransmitter {
  readonly streams: SsfStreamStore;

  constructor(
    private readonly issuer: string,
    private readonly key: SigningKey,
    private readonly jwksUri: string,
    private readonly receivers: readonly SsfReceiver[],
    streamBearer?: string,
  ) {
    this.streams = new SsfStreamStore({
      issuer,
      audience: receivers[0]?.audience ?? 'baton-ssf',
      ...(streamBearer && { bearer: streamBearer }),
      eventsSupported: [SESSION_REVOKED_EVENT],
    });
  }

  /** `/.well-known/ssf-configuration` (SSF 1.0 §7.1). */
  metadata(): Record<string, unknown> {
    return {
      spec_version: '1_0',
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      configuration_endpoint: `${this.issuer}${SSF_STREAM_PATH}`,
      delivery_methods_supported: ['urn:ietf:rfc:8935'],
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
    };
  }

  /** Pushes one session-revoked SET naming `sub` to each receiver; the HTTP status each answered (null: none). */
  async sessionRevoked(sub: string): Promise<{ url: string; status: number | null }[]> {
    const now = Math.floor(Date.now() / 1000);
    const receivers = [...this.receivers];
    for (const r of this.streams.pushReceivers()) if (!receivers.some((c) => c.url === r.url)) receivers.push(r);
    return Promise.all(
      receivers.map(async (receiver) => {
        const set = await new SignJWT({
          jti: randomUUID(),
          sub_id: { format: 'iss_sub', iss: this.issuer, sub },
          events: { [SESSION_REVOKED_EVENT]: { event_timestamp: now, initiating_entity: 'admin' } },
        })
          .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'secevent+jwt' })
          .setIssuer(this.issuer)
          .setAudience(receiver.audience)
          .setIssuedAt(now)
          .sign(this.key.privateKey);
        try {
          const response = await fetch(receiver.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/secevent+jwt',
              ...(receiver.bearer && { authorization: `Bearer ${receiver.bearer}` }),
            },
            body: set,
            signal: AbortSignal.timeout(5000),
          });
          await response.arrayBuffer();
          return { url: receiver.url, status: response.status };
        } catch {
          return { url: receiver.url, status: null };
        }
      }),
    );
  }
}
