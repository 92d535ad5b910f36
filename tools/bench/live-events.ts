import { request } from 'node:http';
import { percentile } from './figures.js';

export interface LiveEventFigures {
  streams: number;
  events: number;
  p50: number;
  p95: number;
  max: number;
}

/** One audit stream: calls `onEntry` with each entry and the time it arrived. */
function openAuditStream(
  url: string,
  token: string,
  onEntry: (entry: { at: string; operation: string; runId: string | null }, receivedAt: number) => void,
): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`audit stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const receivedAt = Date.now();
        buffer += chunk;
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (frame.includes('event: audit\n') && data) onEntry(JSON.parse(data.slice(6)), receivedAt);
        }
      });
      res.on('error', () => undefined);
      resolve(() => req.destroy());
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * SPEC §13's figure: `streams` clients follow the audit stream of `workflow` while `start()` runs
 * workflows; each entry's latency is its arrival at a client minus its `at` (taken at insert, in the
 * same clock: one machine). Ends when every stream has seen every entry the runs wrote.
 */
export async function measureLiveEvents(options: {
  apiUrl: string;
  token: string;
  workflow: string;
  streams: number;
  timeoutMs: number;
  /** Starts the runs, waits for them to finish and answers how many entries they wrote. */
  start: () => Promise<number>;
}): Promise<LiveEventFigures> {
  const latencies: number[] = [];
  const seen = new Array<number>(options.streams).fill(0);
  const closers: (() => void)[] = [];
  let expected = Number.POSITIVE_INFINITY;
  let done: () => void = () => undefined;
  const allSeen = new Promise<void>((resolve) => (done = resolve));
  const check = () => {
    if (seen.every((n) => n >= expected)) done();
  };
  const url = `${options.apiUrl}/v1/audit/stream?workflow=${encodeURIComponent(options.workflow)}`;
  try {
    for (let i = 0; i < options.streams; i++) {
      closers.push(
        await openAuditStream(url, options.token, (entry, receivedAt) => {
          latencies.push(receivedAt - Date.parse(entry.at));
          seen[i]!++;
          check();
        }),
      );
    }
    expected = await options.start();
    check();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`live events: streams saw ${seen.join(', ')} of ${expected} entries`)),
        options.timeoutMs,
      ).unref(),
    );
    await Promise.race([allSeen, timeout]);
  } finally {
    for (const close of closers) close();
  }
  return {
    streams: options.streams,
    events: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: percentile(latencies, 100),
  };
}
