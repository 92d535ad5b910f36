import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { auditTarget, describeTarget } from './audit-target.js';
import { callHttp, type HttpCallOptions } from './http-caller.js';
import type { HttpCallOutcome, HttpResponseOutcome } from './http-call-outcome.js';
import type { HttpNodeRequest } from './http-node-request.js';

interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

const TOKEN = 'exchanged-token-8f3a1c';
const MIB = 1_048_576;

/** A real downstream on 127.0.0.1 that records every request and answers by path. */
class RecordingServer {
  readonly received: ReceivedRequest[] = [];
  /** Resolves when the connection that carried a request to `path` closes. */
  readonly connectionClosed = new Map<string, Promise<void>>();
  /** How many body bytes the streaming route managed to write before its connection closed. */
  streamedBytes = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly socketClosed = new WeakMap<Socket, Promise<void>>();
  base = '';

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      this.socketClosed.set(socket, new Promise((resolve) => socket.once('close', () => resolve())));
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  paths(): string[] {
    return this.received.map((r) => r.path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.connectionClosed.set(url.pathname, this.socketClosed.get(req.socket)!);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.received.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });

    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) {
      const code = Number(status[1]);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (code === 429) headers['retry-after'] = '7';
      if (code === 503) headers['retry-after'] = '2';
      res.writeHead(code, headers).end(JSON.stringify({ status: code }));
      return;
    }
    switch (url.pathname) {
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('{"total":42,"items":[1,2]}');
        return;
      case '/problem':
        res.writeHead(422, { 'content-type': 'application/problem+json' }).end('{"title":"bad"}');
        return;
      case '/broken-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"total":');
        return;
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('héllo wörld');
        return;
      case '/empty':
        res.writeHead(204).end();
        return;
      case '/headers':
        res.setHeader('Set-Cookie', ['session=abc; HttpOnly', 'other=1']);
        res.setHeader('X-Request-Id', 'req-9');
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      case '/redirect':
        res.writeHead(302, { location: `${this.base}/landing` }).end();
        return;
      case '/landing':
        res.writeHead(200).end('followed');
        return;
      case '/big': {
        // 2 MiB with a content-length: refused from the head, before reading the body.
        const body = Buffer.alloc(2 * MIB, 'a');
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.byteLength) }).end(body);
        return;
      }
      case '/stream':
        // Chunked and far larger than any socket buffer: only the client closing the connection stops it.
        await this.streamUntilClosed(res, 64 * MIB);
        return;
      case '/hang':
        return; // never answers
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first part'); // and never finishes
        return;
      default:
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  }

  private async streamUntilClosed(res: ServerResponse, max: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 'b');
    this.streamedBytes = 0;
    while (this.streamedBytes < max && !res.destroyed) {
      const flushed = res.write(chunk);
      this.streamedBytes += chunk.byteLength;
      if (!flushed) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
    }
    if (!res.destroyed) res.end();
  }
}

const server = new RecordingServer();
let closedPort: number;

const options = (overrides: Partial<HttpCallOptions> = {}): HttpCallOptions => ({
  accessToken: TOKEN,
  idempotencyKey: 'run-1:fetch',
  timeoutMs: 5_000,
  ...overrides,
});

const get = (path: string, extra: Partial<HttpNodeRequest> = {}): HttpNodeRequest => ({
  method: 'GET',
  url: `${server.base}${path}`,
  ...extra,
});

function expectResponse(outcome: HttpCallOutcome): HttpResponseOutcome {
  if (outcome.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function lastReceived(): ReceivedRequest {
  const last = server.received.at(-1);
  if (!last) throw new Error('the server received nothing');
  return last;
}

function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

beforeAll(async () => {
  await server.start();
  const spare = createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise<void>((resolve) => spare.close(() => resolve()));
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  server.received.length = 0;
});

describe('callHttp — what is sent', () => {
  it('sends the bearer token and the idempotency key', async () => {
    expectResponse(await callHttp(get('/echo'), options()));
    const sent = lastReceived();
    expect(sent.method).toBe('GET');
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent.headers['idempotency-key']).toBe('run-1:fetch');
  });

  it("overrides the definition's authorization and idempotency-key headers, whatever their case", async () => {
    const request = get('/echo', {
      headers: { AUTHORIZATION: 'Basic dXNlcjpwYXNz', 'Idempotency-Key': 'forged', 'X-Trace': 'abc' },
    });
    expectResponse(await callHttp(request, options()));
    const sent = lastReceived();
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent.headers['idempotency-key']).toBe('run-1:fetch');
    expect(sent.headers['x-trace']).toBe('abc');
  });

  it("sends no authorization without a token, keeping the definition's own header", async () => {
    expectResponse(await callHttp(get('/echo'), options({ accessToken: undefined })));
    expect(lastReceived().headers.authorization).toBeUndefined();
    expect(lastReceived().headers['idempotency-key']).toBe('run-1:fetch');

    const request = get('/echo', { headers: { authorization: 'ApiKey k1' } });
    expectResponse(await callHttp(request, options({ accessToken: undefined })));
    expect(lastReceived().headers.authorization).toBe('ApiKey k1');
  });

  it("merges query into the URL's own query; the node's value wins for the same name", async () => {
    const request: HttpNodeRequest = {
      method: 'GET',
      url: `${server.base}/echo?a=1&keep=yes#fragment`,
      query: { a: '2', b: 'x y&z' },
    };
    expectResponse(await callHttp(request, options()));
    const { path, query } = lastReceived();
    expect(path).toBe('/echo');
    expect(query.getAll('a')).toEqual(['2']);
    expect(query.get('keep')).toBe('yes');
    expect(query.get('b')).toBe('x y&z');
  });

  it('serializes a JSON body with content-type application/json', async () => {
    const request: HttpNodeRequest = {
      method: 'POST',
      url: `${server.base}/reports/7/submit`,
      body: { total: 42, items: [1, 'two', null], nested: { ok: true } },
    };
    expectResponse(await callHttp(request, options()));
    const sent = lastReceived();
    expect(sent.method).toBe('POST');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body)).toEqual({ total: 42, items: [1, 'two', null], nested: { ok: true } });
  });

  it('serializes a string body as JSON when the content type is JSON', async () => {
    const request: HttpNodeRequest = { method: 'PUT', url: `${server.base}/echo`, body: 'just a string' };
    expectResponse(await callHttp(request, options()));
    expect(lastReceived().headers['content-type']).toBe('application/json');
    expect(lastReceived().body).toBe('"just a string"');
  });

  it('keeps a JSON-flavoured content type the definition chose', async () => {
    const request: HttpNodeRequest = {
      method: 'PATCH',
      url: `${server.base}/echo`,
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { total: null },
    };
    expectResponse(await callHttp(request, options()));
    expect(lastReceived().headers['content-type']).toBe('application/merge-patch+json');
    expect(lastReceived().body).toBe('{"total":null}');
  });

  it('sends a string body as is under a non-JSON content type', async () => {
    const request: HttpNodeRequest = {
      method: 'POST',
      url: `${server.base}/echo`,
      headers: { 'content-type': 'text/csv' },
      body: 'id,total\n7,42\n',
    };
    expectResponse(await callHttp(request, options()));
    expect(lastReceived().headers['content-type']).toBe('text/csv');
    expect(lastReceived().body).toBe('id,total\n7,42\n');
  });

  it('sends no body and no content type when there is no body, and none on GET', async () => {
    expectResponse(await callHttp({ method: 'DELETE', url: `${server.base}/echo` }, options()));
    expect(lastReceived().method).toBe('DELETE');
    expect(lastReceived().body).toBe('');
    expect(lastReceived().headers['content-type']).toBeUndefined();

    expectResponse(await callHttp(get('/echo', { body: { ignored: true } }), options()));
    expect(lastReceived().body).toBe('');
  });
});

describe('callHttp — what comes back', () => {
  it('parses a JSON answer', async () => {
    const outcome = expectResponse(await callHttp(get('/json'), options()));
    expect(outcome.status).toBe(200);
    expect(outcome.body).toEqual({ total: 42, items: [1, 2] });
    expect(outcome.classification).toEqual({ kind: 'ok' });
  });

  it('parses a +json answer', async () => {
    const outcome = expectResponse(await callHttp(get('/problem'), options()));
    expect(outcome.body).toEqual({ title: 'bad' });
  });

  it('keeps a text answer, and JSON that does not parse, as utf-8 text', async () => {
    expect(expectResponse(await callHttp(get('/text'), options())).body).toBe('héllo wörld');
    expect(expectResponse(await callHttp(get('/broken-json'), options())).body).toBe('{"total":');
  });

  it('gives null for an empty body', async () => {
    const outcome = expectResponse(await callHttp(get('/empty'), options()));
    expect(outcome.status).toBe(204);
    expect(outcome.body).toBeNull();
  });

  it('lower-cases header names and drops set-cookie', async () => {
    const outcome = expectResponse(await callHttp(get('/headers'), options()));
    expect(outcome.headers['x-request-id']).toBe('req-9');
    expect(outcome.headers['content-type']).toBe('text/plain');
    expect(outcome.headers['set-cookie']).toBeUndefined();
    expect(Object.keys(outcome.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it.each([
    [200, { kind: 'ok' }],
    [401, { kind: 'unauthorized' }],
    [403, { kind: 'forbidden' }],
    [404, { kind: 'client_error' }],
    [429, { kind: 'transient', retryAfterMs: 7_000 }],
    [500, { kind: 'transient' }],
    [503, { kind: 'transient', retryAfterMs: 2_000 }],
  ])('classifies %i', async (status, classification) => {
    const outcome = expectResponse(await callHttp(get(`/status/${status}`), options()));
    expect(outcome.status).toBe(status);
    expect(outcome.classification).toEqual(classification);
    expect(outcome.body).toEqual({ status });
  });

  it('returns a 3xx as the answer without following it', async () => {
    const outcome = expectResponse(await callHttp(get('/redirect'), options()));
    expect(outcome.status).toBe(302);
    expect(outcome.headers.location).toBe(`${server.base}/landing`);
    expect(outcome.classification).toEqual({ kind: 'ok' });
    expect(server.paths()).toEqual(['/redirect']);
  });

  it('answers HEAD with the status and headers and a null body, whatever the announced length', async () => {
    const outcome = expectResponse(await callHttp({ method: 'HEAD', url: `${server.base}/big` }, options()));
    expect(lastReceived().method).toBe('HEAD');
    expect(outcome.status).toBe(200);
    expect(outcome.headers['content-length']).toBe(String(2 * MIB));
    expect(outcome.body).toBeNull();
  });
});

describe('callHttp — size cap', () => {
  it('refuses a 2 MiB answer and closes the connection', async () => {
    const outcome = await callHttp(get('/big'), options());
    expect(outcome).toEqual({ kind: 'response_too_large', limit: MIB });
    await withinMs(server.connectionClosed.get('/big')!, 5_000, 'the connection closing');
  });

  it('stops reading a chunked answer at the cap and closes the connection', async () => {
    const outcome = await callHttp(get('/stream'), options({ maxResponseBytes: 256 * 1024 }));
    expect(outcome).toEqual({ kind: 'response_too_large', limit: 256 * 1024 });
    await withinMs(server.connectionClosed.get('/stream')!, 5_000, 'the connection closing');
    expect(server.streamedBytes).toBeLessThan(64 * MIB);
  });

  it('accepts an answer exactly at the cap', async () => {
    const outcome = expectResponse(await callHttp(get('/json'), options({ maxResponseBytes: 26 })));
    expect(outcome.body).toEqual({ total: 42, items: [1, 2] });
  });
});

describe('callHttp — network conditions', () => {
  it('times out on a server that never answers', async () => {
    expect(await callHttp(get('/hang'), options({ timeoutMs: 200 }))).toEqual({ kind: 'timeout' });
  });

  it('times out on a body that never ends', async () => {
    expect(await callHttp(get('/slow-body'), options({ timeoutMs: 200 }))).toEqual({ kind: 'timeout' });
  });

  it('reports a refused connection with its code, without the token', async () => {
    const outcome = await callHttp({ method: 'GET', url: `http://127.0.0.1:${closedPort}/x` }, options());
    expect(outcome).toMatchObject({ kind: 'network_error', code: 'ECONNREFUSED' });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it('reports aborted when the caller aborts mid-call', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await callHttp(get('/hang'), options({ timeoutMs: 10_000, signal: controller.signal }));
    expect(outcome).toEqual({ kind: 'aborted' });
  });

  it('reports aborted without calling when the signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await callHttp(get('/echo'), options({ signal: controller.signal }))).toEqual({ kind: 'aborted' });
    expect(server.received).toHaveLength(0);
  });

  it('refuses a request that cannot be sent, without echoing the token', async () => {
    const badHeader = await callHttp(get('/echo', { headers: { 'x-note': 'line\r\nbreak' } }), options());
    expect(badHeader.kind).toBe('invalid_request');
    expect(JSON.stringify(badHeader)).not.toContain(TOKEN);

    const badToken = await callHttp(get('/echo'), options({ accessToken: `${TOKEN}\nX-Injected: 1` }));
    expect(badToken.kind).toBe('invalid_request');
    expect(JSON.stringify(badToken)).not.toContain(TOKEN);

    for (const url of ['file:///etc/passwd', 'data:text/plain,hi', '/relative', `http://user:pw@127.0.0.1:1/`]) {
      expect((await callHttp({ method: 'GET', url }, options())).kind).toBe('invalid_request');
    }
    expect(server.received).toHaveLength(0);
  });
});

describe('auditTarget / describeTarget', () => {
  it('keeps method, scheme, host and path; drops query and fragment', () => {
    expect(auditTarget('POST', 'http://127.0.0.1:5000/reports/7/submit?token=abc&x=1#frag')).toBe(
      'POST http://127.0.0.1:5000/reports/7/submit',
    );
    expect(auditTarget('get', 'https://api.example.com/v1/items#top')).toBe('GET https://api.example.com/v1/items');
    expect(describeTarget('https://api.example.com')).toBe('https://api.example.com/');
  });

  it('drops credentials before the host', () => {
    expect(describeTarget('https://user:secret@api.example.com/a?b=c')).toBe('https://api.example.com/a');
  });

  it('still drops query and fragment from something that is not a URL', () => {
    expect(describeTarget('not a url/path?secret=1#x')).toBe('not a url/path');
  });
});
