import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseIdempotencyKey, type CallRecord } from './figures.js';

/**
 * The downstream service of the bench's http nodes: answers every request at once with a small JSON
 * body and never reads more than it must, so the figures measure Baton, not the resource server.
 * While `recording`, it notes when each call arrived and when it was answered, by run and step
 * (from the `Idempotency-Key: <runId>:<nodeId>` header), for the step gaps. Paths under `/slow/`
 * are answered after `slowMs` (the revocation phase's runs, which must stay in flight), and a
 * `watch`er hears every call's run and arrival. `maxInFlight` is the most calls it held at once (the
 * fairness phase's check of a tenant's limit, seen from downstream).
 */
export class FastResourceServer {
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  private records: CallRecord[] = [];
  private recording = false;
  private watcher: ((runId: string, arrivedMs: number) => void) | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: { slowMs?: number } = {}): Promise<FastResourceServer> {
    const slowMs = options.slowMs ?? 0;
    let self: FastResourceServer | undefined;
    const body = JSON.stringify({ ok: true });
    const length = Buffer.byteLength(body);
    const server = createServer((req, res) => {
      const arrivedMs = performance.now();
      self!.requests++;
      self!.maxInFlight = Math.max(self!.maxInFlight, ++self!.inFlight);
      req.resume();
      if (self!.watcher) {
        const key = (req.headers['idempotency-key'] as string | undefined) ?? '';
        self!.watcher(key.slice(0, Math.max(0, key.lastIndexOf(':'))), arrivedMs);
      }
      const answer = () => {
        self!.inFlight--;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
        if (self!.recording) {
          const key = parseIdempotencyKey(req.headers['idempotency-key'] as string | undefined);
          if (key) self!.records.push({ ...key, arrivedMs, answeredMs: performance.now() });
        }
        res.end(body);
      };
      if (slowMs > 0 && req.url?.startsWith('/slow/')) setTimeout(answer, slowMs);
      else answer();
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    self = new FastResourceServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Starts noting calls (forgetting earlier notes). */
  record(): void {
    this.records = [];
    this.recording = true;
  }

  /** Tells `listener` of every call from now on (its run id from `Idempotency-Key`, its arrival); null stops. */
  watch(listener: ((runId: string, arrivedMs: number) => void) | null): void {
    this.watcher = listener;
  }

  /** Stops noting calls and hands over what was noted. */
  takeRecords(): CallRecord[] {
    this.recording = false;
    const taken = this.records;
    this.records = [];
    return taken;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}
