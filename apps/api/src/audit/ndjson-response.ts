import type { Logger } from '@nestjs/common';
import { toNdjsonChunk } from '@baton/workflow';
import type { Response } from 'express';
import { once } from 'node:events';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/**
 * Streams batches as NDJSON (chunked; one write per batch). Honours backpressure (waits for
 * `drain` before asking for the next batch) and the client going away (the signal given to
 * `batches` aborts, and nothing more is read from the database).
 *
 * Until the first batch is written nothing has been sent, so an early error still becomes a
 * problem+json answer; after that, a failure destroys the connection, so that the client sees a
 * truncated chunked body rather than an export that looks complete.
 */
export async function streamNdjson(
  res: Response,
  batches: (signal: AbortSignal) => AsyncIterable<readonly unknown[]>,
  logger?: Pick<Logger, 'warn'>,
): Promise<void> {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.on('close', onClose);
  res.status(200);
  res.setHeader('Content-Type', NDJSON_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  try {
    for await (const batch of batches(gone.signal)) {
      if (gone.signal.aborted) break;
      if (!res.write(toNdjsonChunk(batch))) await once(res, 'drain', { signal: gone.signal });
    }
    if (!gone.signal.aborted) res.end();
  } catch (error) {
    if (gone.signal.aborted) return;
    if (!res.headersSent) throw error;
    logger?.warn({ err: error }, 'export failed mid-stream; connection closed');
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}
