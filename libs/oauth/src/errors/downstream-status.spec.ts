import { describe, expect, it } from '@jest/globals';
import { classifyDownstreamStatus } from './downstream-status.js';

const NOW = Date.UTC(2026, 10, 2, 12, 0, 0);

describe('classifyDownstreamStatus', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [302, 'ok'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [429, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
    [400, 'client_error'],
    [404, 'client_error'],
    [409, 'client_error'],
    [422, 'client_error'],
  ] as const)('%i → %s', (status, kind) => {
    expect(classifyDownstreamStatus(status)).toEqual({ kind });
  });

  it('carries Retry-After only for transient answers', () => {
    expect(classifyDownstreamStatus(503, '5', NOW)).toEqual({ kind: 'transient', retryAfterMs: 5000 });
    expect(classifyDownstreamStatus(429, 'Mon, 02 Nov 2026 12:00:10 GMT', NOW)).toEqual({
      kind: 'transient',
      retryAfterMs: 10_000,
    });
    expect(classifyDownstreamStatus(503, 'garbage', NOW)).toEqual({ kind: 'transient' });
    expect(classifyDownstreamStatus(401, '5', NOW)).toEqual({ kind: 'unauthorized' });
  });
});
