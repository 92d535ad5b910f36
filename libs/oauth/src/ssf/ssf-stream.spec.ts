import { describe, expect, it } from '@jest/globals';
import { BATON_STREAM_DESCRIPTION, SsfDeliveryMethod, ourStream, streamRequestBody, streamsOf } from './ssf-stream.js';

const EVENTS = ['https://schemas.openid.net/secevent/caep/event-type/session-revoked'];
const PUSH_URL = 'https://baton.example.com/v1/ssf/events';
const push = { delivery: 'push' as const, endpointUrl: PUSH_URL, eventsRequested: EVENTS };
const poll = { delivery: 'poll' as const, pollEndpoint: 'https://idp.example.com/poll', eventsRequested: EVENTS };

describe('SSF 1.0 stream management bodies', () => {
  it('push: RFC 8935 with Baton’s endpoint, the events, a description; no stream_id to create', () => {
    expect(streamRequestBody(push)).toEqual({
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: PUSH_URL },
      events_requested: EVENTS,
      description: BATON_STREAM_DESCRIPTION,
    });
  });

  it('poll: RFC 8936 without endpoint_url (the transmitter answers it); stream_id to update', () => {
    expect(streamRequestBody(poll, 's-1')).toEqual({
      stream_id: 's-1',
      delivery: { method: 'urn:ietf:rfc:8936' },
      events_requested: EVENTS,
      description: BATON_STREAM_DESCRIPTION,
    });
  });
});

describe('reading a GET answer', () => {
  it.each<[string, unknown, string[]]>([
    ['one object', { stream_id: 'a' }, ['a']],
    ['an array', [{ stream_id: 'a' }, { stream_id: 'b' }], ['a', 'b']],
    ['an empty array', [], []],
    ['nothing', undefined, []],
    ['null', null, []],
    ['members without a string stream_id', [{ stream_id: 7 }, 'x', null, { stream_id: 'c' }], ['c']],
  ])('%s', (_, answer, ids) => {
    expect(streamsOf(answer).map((s) => s.stream_id)).toEqual(ids);
  });
});

describe('which stream is Baton’s', () => {
  const at = (id: string, method: string, endpoint_url?: string, description?: string) => ({
    stream_id: id,
    delivery: { method, ...(endpoint_url && { endpoint_url }) },
    ...(description && { description }),
  });

  it('none when there is no stream', () => {
    expect(ourStream([], push)).toBeUndefined();
  });

  it('push: the one pushing to Baton’s endpoint, among others', () => {
    const streams = [
      at('other', SsfDeliveryMethod.Push, 'https://elsewhere.example.com/ssf'),
      at('ours', SsfDeliveryMethod.Push, PUSH_URL),
      at('polled', SsfDeliveryMethod.Poll),
    ];
    expect(ourStream(streams, push)?.stream_id).toBe('ours');
  });

  it('poll: the poll stream, preferring the configured poll endpoint', () => {
    const streams = [
      at('p1', SsfDeliveryMethod.Poll, 'https://idp.example.com/other-poll'),
      at('p2', SsfDeliveryMethod.Poll, 'https://idp.example.com/poll'),
      at('pushed', SsfDeliveryMethod.Push, PUSH_URL),
    ];
    expect(ourStream(streams, poll)?.stream_id).toBe('p2');
    expect(ourStream(streams, { ...poll, pollEndpoint: undefined })?.stream_id).toBe('p1');
  });

  it('else the one described as Baton’s (its endpoint changed)', () => {
    const streams = [
      at('x', SsfDeliveryMethod.Push, 'https://x.example.com/ssf'),
      at('old', SsfDeliveryMethod.Push, 'https://old.example.com/ssf', BATON_STREAM_DESCRIPTION),
    ];
    expect(ourStream(streams, push)?.stream_id).toBe('old');
  });

  it('else the only stream the bearer sees; none among several strangers', () => {
    expect(ourStream([at('only', SsfDeliveryMethod.Poll)], push)?.stream_id).toBe('only');
    expect(
      ourStream([at('x', SsfDeliveryMethod.Push, 'https://x.example.com'), at('y', SsfDeliveryMethod.Poll)], push),
    ).toBeUndefined();
  });
});
