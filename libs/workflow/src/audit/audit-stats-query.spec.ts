import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@baton/platform';
import { parseAuditStatsQuery } from './audit-stats-query.js';

function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).problems ?? [];
  }
  throw new Error('expected a DomainError');
}

describe('parseAuditStatsQuery', () => {
  it('needs from and to; bucket defaults to hour and groupBy to operation', () => {
    expect(parseAuditStatsQuery({ from: '2026-11-20', to: '2026-11-21' }, 't1')).toEqual({
      tenant: 't1',
      from: new Date('2026-11-20T00:00:00Z'),
      to: new Date('2026-11-21T00:00:00Z'),
      bucket: 'hour',
      groupBy: 'operation',
    });
    expect(problemsOf(() => parseAuditStatsQuery({}, 't1')).map((p) => p.path)).toEqual(
      expect.arrayContaining(['$.query.from', '$.query.to']),
    );
  });

  it('reads every bucket and groupBy', () => {
    for (const bucket of ['minute', 'hour', 'day']) {
      for (const groupBy of ['operation', 'workflow', 'agentId', 'userId']) {
        expect(parseAuditStatsQuery({ from: '2026-11-20', to: '2026-11-21', bucket, groupBy }, 't1')).toMatchObject({
          bucket,
          groupBy,
        });
      }
    }
  });

  it('refuses more than 10,000 buckets, naming the count', () => {
    expect(
      parseAuditStatsQuery({ from: '2026-11-20T00:00:00Z', to: '2026-11-26T22:40:00Z', bucket: 'minute' }, 't1').bucket,
    ).toBe('minute'); // exactly 10,000
    const problems = problemsOf(() =>
      parseAuditStatsQuery({ from: '2026-11-20', to: '2026-11-27', bucket: 'minute' }, 't1'),
    );
    expect(problems).toEqual([
      { path: '$.query.bucket', message: 'from–to spans 10080 minute buckets; at most 10000 are allowed' },
    ]);
    expect(parseAuditStatsQuery({ from: '2000-01-01', to: '2026-01-01', bucket: 'day' }, 't1').bucket).toBe('day');
  });

  it.each([
    [{ from: '2026-11-21', to: '2026-11-20' }, '$.query.from'],
    [{ from: 'now', to: '2026-11-20' }, '$.query.from'],
    [{ from: '2026-11-20', to: '2026-11-21', bucket: 'week' }, '$.query.bucket'],
    [{ from: '2026-11-20', to: '2026-11-21', groupBy: 'success' }, '$.query.groupBy'],
    [{ from: '2026-11-20', to: '2026-11-21', operation: 'run.started' }, '$.query.operation'],
  ])('refuses %j (400 at %s)', (query, path) => {
    expect(problemsOf(() => parseAuditStatsQuery(query, 't1')).map((p) => p.path)).toContain(path);
  });
});
