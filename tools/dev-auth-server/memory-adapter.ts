import type { ClientMetadata, UnknownObject } from 'oidc-provider';

/**
 * oidc-provider storage adapter keeping everything in this process, one store per server.
 *
 * oidc-provider's built-in memory adapter does the same but prints a "MUST change it" warning on
 * every start, which is noise for a server that is in-memory by design and started many times by
 * tests. It stores what this server's flows create (client_credentials tokens, replay-detection
 * entries for private_key_jwt assertions) and serves the configured clients.
 *
 * Why clients come from here and not from oidc-provider's `clients` option: that option
 * `structuredClone`s the metadata, and under jest's VM modules the clone's objects belong to
 * another realm, so oidc-provider's plain-object check rejects a `jwks` and a private_key_jwt
 * client cannot be registered in an in-process test. Clients found through the adapter are
 * validated the same way, without that clone.
 */
interface Entry {
  payload: UnknownObject;
  /** Epoch milliseconds; Infinity for no expiry. */
  expiresAt: number;
}

/** Expired entries are swept after this many writes (reads skip them anyway). */
const SWEEP_EVERY_WRITES = 500;

class MemoryStore {
  private readonly entries = new Map<string, Entry>();
  private writes = 0;

  get(key: string): UnknownObject | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: UnknownObject, expiresInSeconds: number | undefined): void {
    const expiresAt = typeof expiresInSeconds === 'number' ? Date.now() + expiresInSeconds * 1000 : Infinity;
    this.entries.set(key, { payload, expiresAt });
    if (++this.writes % SWEEP_EVERY_WRITES === 0) this.sweep();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  keysWhere(predicate: (payload: UnknownObject) => boolean): string[] {
    return [...this.entries].filter(([, entry]) => predicate(entry.payload)).map(([key]) => key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/** The adapter interface oidc-provider calls, per model (AccessToken, ClientCredentials, ...). */
class MemoryAdapter {
  constructor(
    private readonly model: string,
    private readonly store: MemoryStore,
    private readonly clients: ReadonlyMap<string, ClientMetadata>,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: UnknownObject, expiresIn?: number): Promise<void> {
    this.store.set(this.key(id), payload, expiresIn);
  }

  async find(id: string): Promise<UnknownObject | undefined> {
    if (this.model === 'Client') {
      const client = this.clients.get(id);
      // A fresh copy made in this realm each time: oidc-provider may normalise what it is given.
      if (client) return JSON.parse(JSON.stringify(client)) as UnknownObject;
    }
    return this.store.get(this.key(id));
  }

  async findByUid(uid: string): Promise<UnknownObject | undefined> {
    return this.findWhere((p) => p.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<UnknownObject | undefined> {
    return this.findWhere((p) => p.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.store.keysWhere((p) => p.grantId === grantId)) this.store.delete(key);
  }

  private findWhere(predicate: (payload: UnknownObject) => boolean): UnknownObject | undefined {
    const prefix = `${this.model}:`;
    const key = this.store.keysWhere(predicate).find((k) => k.startsWith(prefix));
    return key === undefined ? undefined : this.store.get(key);
  }
}

/** An adapter factory for oidc-provider's `adapter` option, with a store of its own and these clients. */
export function memoryAdapterFactory(clients: readonly ClientMetadata[]): (model: string) => MemoryAdapter {
  const store = new MemoryStore();
  const byId = new Map(clients.map((client) => [client.client_id, client]));
  return (model) => new MemoryAdapter(model, store, byId);
}
