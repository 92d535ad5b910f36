import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { requestLogMiddleware } from './logging.module.js';

/** One request through the middleware on a loopback server; what the client saw and what was logged. */
async function oneRequest(level: string, requestId?: string) {
  const lines: string[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const middleware = requestLogMiddleware(logger);
  let seenId: unknown;
  const server = createServer((req, res) =>
    middleware(req, res, () => {
      seenId = (req as { id?: unknown }).id;
      res.end('ok');
    }),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/runs?x=1`, {
      headers: requestId ? { 'x-request-id': requestId } : {},
    });
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { header: response.headers.get('x-request-id'), seenId, lines };
  } finally {
    server.close();
  }
}

describe('request lines', () => {
  it('at info: pino-http writes one line per response with the request id, without the query', async () => {
    const { header, seenId, lines } = await oneRequest('info', 'req-1');
    expect(header).toBe('req-1');
    expect(seenId).toBe('req-1');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ req: { id: 'req-1', method: 'GET', url: '/v1/runs' } });
  });

  it('above info: no line, but the request id is still set on the request and echoed', async () => {
    const { header, seenId, lines } = await oneRequest('warn', 'req-2');
    expect(header).toBe('req-2');
    expect(seenId).toBe('req-2');
    expect(lines).toEqual([]);
    const fresh = await oneRequest('warn', 'not a sane id');
    expect(fresh.header).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.seenId).toBe(fresh.header);
  });
});
