import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The downstream service of the bench's http nodes: answers every request at once with a small JSON
 * body and never reads more than it must, so the figures measure Baton, not the resource server.
 */
export class FastResourceServer {
  requests = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FastResourceServer> {
    let self: FastResourceServer | undefined;
    const body = JSON.stringify({ ok: true });
    const server = createServer((req, res) => {
      self!.requests++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    self = new FastResourceServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}
