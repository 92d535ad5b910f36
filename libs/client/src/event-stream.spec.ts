import { describe, expect, it } from '@jest/globals';
import { readEventStream } from './event-stream.js';

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(body: ReadableStream<Uint8Array>) {
  const events = [];
  for await (const event of readEventStream(body)) events.push(event);
  return events;
}

describe('readEventStream', () => {
  it('parses named events with ids, across chunk boundaries, skipping heartbeats', async () => {
    const events = await all(
      streamOf(
        'event: snapshot\ndata: {"id":1}\n\n: keep-alive\n\nid: 5-7\nev',
        'ent: audit\ndata: {"op":"x"}\n',
        '\n',
      ),
    );
    expect(events).toEqual([
      { event: 'snapshot', id: undefined, data: { id: 1 } },
      { event: 'audit', id: '5-7', data: { op: 'x' } },
    ]);
  });

  it('joins multi-line data, accepts CRLF, defaults the name to message and drops a frame without data', async () => {
    const events = await all(streamOf('data: [1,\r\ndata: 2]\r\n\r\nevent: empty\n\n'));
    expect(events).toEqual([{ event: 'message', id: undefined, data: [1, 2] }]);
  });

  it('ignores an unfinished last frame', async () => {
    expect(await all(streamOf('event: run\ndata: {}\n\nevent: run\ndata: {"half"'))).toHaveLength(1);
  });
});
