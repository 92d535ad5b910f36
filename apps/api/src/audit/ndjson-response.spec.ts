import { describe, expect, it } from '@jest/globals';
import type { Response } from 'express';
import { Writable } from 'node:stream';
import { streamNdjson } from './ndjson-response.js';

/** A response stand-in: a Writable with a tiny buffer (so backpressure happens) and the header calls express offers. */
class FakeResponse extends Writable {
  readonly chunks: string[] = [];
  readonly headers: Record<string, string> = {};
  statusCode = 0;
  headersSent = false;
  drains = 0;
  constructor(private readonly delayMs = 1) {
    super({ highWaterMark: 16 });
    this.on('drain', () => this.drains++);
  }
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.headersSent = true;
    this.chunks.push(chunk.toString());
    setTimeout(done, this.delayMs);
  }
}

const asResponse = (fake: FakeResponse) => fake as unknown as Response;

describe('streamNdjson', () => {
  it('writes one chunk per batch, waits for drain, and ends', async () => {
    const res = new FakeResponse();
    let pulled = 0;
    async function* batches() {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield [
          { i, a: 'x'.repeat(20) },
          { i, b: true },
        ];
      }
    }
    const finished = new Promise((done) => res.on('finish', done));
    await streamNdjson(asResponse(res), batches);
    await finished;
    expect(pulled).toBe(5);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    expect(res.drains).toBeGreaterThan(0);
    const lines = res.chunks.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).i)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('stops pulling batches once the client has gone', async () => {
    const res = new FakeResponse();
    let pulled = 0;
    let sawAbort = false;
    async function* batches(signal: AbortSignal) {
      try {
        while (!signal.aborted) {
          pulled++;
          if (pulled === 2) res.destroy(); // the client disconnects
          yield [{ n: pulled }];
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        sawAbort = signal.aborted;
      }
    }
    await streamNdjson(asResponse(res), batches);
    expect(pulled).toBeLessThanOrEqual(3);
    expect(sawAbort).toBe(true);
  });

  it('lets an error before the first write reach the problem filter, and cuts the stream after it', async () => {
    const early = new FakeResponse();
    // eslint-disable-next-line require-yield
    async function* failing(): AsyncGenerator<unknown[]> {
      throw new Error('database down');
    }
    await expect(streamNdjson(asResponse(early), failing)).rejects.toThrow('database down');

    const late = new FakeResponse();
    async function* failingLater() {
      yield [{ ok: 1 }];
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('database down');
    }
    const warnings: unknown[] = [];
    await streamNdjson(asResponse(late), failingLater, { warn: (m: unknown) => warnings.push(m) });
    expect(late.destroyed).toBe(true);
    expect(late.writableFinished).toBe(false);
    expect(warnings).toHaveLength(1);
  });
});
