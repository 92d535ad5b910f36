import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@baton/platform';
import { encodeAuditCursor } from './audit-cursor.js';
import { parseAuditExportQuery, parseAuditListQuery } from './audit-filter.js';

function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('invalid_input');
    return (error as DomainError).problems ?? [];
  }
  throw new Error('expected a DomainError');
}
const paths = (fn: () => unknown) => problemsOf(fn).map((p) => p.path);

const RUN = '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b';

describe('parseAuditListQuery', () => {
  it('defaults to newest first, 50 per page, no filter', () => {
    expect(parseAuditListQuery({}, 't1')).toEqual({
      filter: { tenant: 't1' },
      order: 'desc',
      limit: 50,
      after: undefined,
    });
    expect(parseAuditListQuery(undefined, 't1')).toEqual({
      filter: { tenant: 't1' },
      order: 'desc',
      limit: 50,
      after: undefined,
    });
  });

  it('reads every filter', () => {
    const parsed = parseAuditListQuery(
      {
        runId: RUN,
        userId: 'alice',
        agentId: 'expense-agent',
        workflow: 'expense-approval',
        operation: ['token.exchanged', 'token.used', 'token.exchanged'],
        success: 'false',
        from: '2026-11-20',
        to: '2026-11-21T00:00:00+01:00',
        order: 'asc',
        limit: '2',
      },
      't1',
    );
    expect(parsed).toEqual({
      filter: {
        tenant: 't1',
        runId: RUN,
        userId: 'alice',
        agentId: 'expense-agent',
        workflow: 'expense-approval',
        operations: ['token.exchanged', 'token.used'],
        success: false,
        from: new Date('2026-11-20T00:00:00Z'),
        to: new Date('2026-11-20T23:00:00Z'),
      },
      order: 'asc',
      limit: 2,
      after: undefined,
    });
  });

  it('takes a single operation as a one-element list, and success=true', () => {
    expect(parseAuditListQuery({ operation: 'run.started', success: 'true' }, 't1').filter).toEqual({
      tenant: 't1',
      operations: ['run.started'],
      success: true,
    });
  });

  it('decodes a cursor issued for the same order', () => {
    const key = { at: new Date('2026-11-20T10:00:00.001Z'), id: '42' };
    expect(parseAuditListQuery({ cursor: encodeAuditCursor('desc', key) }, 't1').after).toEqual(key);
    expect(paths(() => parseAuditListQuery({ cursor: encodeAuditCursor('desc', key), order: 'asc' }, 't1'))).toEqual([
      '$.query.cursor',
    ]);
  });

  it.each([
    [{ operation: 'run.exploded' }, '$.query.operation.0'],
    [{ operation: ['run.started', 'bogus'] }, '$.query.operation.1'],
    [{ operation: '' }, '$.query.operation.0'],
    [{ success: 'yes' }, '$.query.success'],
    [{ success: ['true', 'false'] }, '$.query.success'],
    [{ from: 'yesterday' }, '$.query.from'],
    [{ from: '2026-11-20T10:00:00' }, '$.query.from'],
    [{ to: '2026-02-30' }, '$.query.to'],
    [{ from: '2026-11-21', to: '2026-11-20' }, '$.query.from'],
    [{ order: 'newest' }, '$.query.order'],
    [{ limit: '0' }, '$.query.limit'],
    [{ limit: '201' }, '$.query.limit'],
    [{ limit: 'ten' }, '$.query.limit'],
    [{ cursor: 'garbage' }, '$.query.cursor'],
    [{ runId: 'not-a-uuid' }, '$.query.runId'],
    [{ userId: '' }, '$.query.userId'],
    [{ userId: 'a\u0000b' }, '$.query.userId'],
    [{ workflow: 'x'.repeat(257) }, '$.query.workflow'],
    [{ agentId: ['a', 'b'] }, '$.query.agentId'],
    [{ colour: 'blue' }, '$.query.colour'],
    [{ format: 'ndjson' }, '$.query.format'],
  ])('refuses %j (400 at %s)', (query, path) => {
    expect(paths(() => parseAuditListQuery(query, 't1'))).toContain(path);
  });

  it('accepts from equal to to (an empty range)', () => {
    expect(parseAuditListQuery({ from: '2026-11-20', to: '2026-11-20' }, 't1').filter).toEqual({
      tenant: 't1',
      from: new Date('2026-11-20'),
      to: new Date('2026-11-20'),
    });
  });

  it('lists every problem at once', () => {
    expect(paths(() => parseAuditListQuery({ operation: 'bogus', limit: '0', extra: '1' }, 't1'))).toEqual(
      expect.arrayContaining(['$.query.operation.0', '$.query.limit', '$.query.extra']),
    );
  });
});

describe('parseAuditExportQuery', () => {
  it('takes the same filters and format=ndjson (the default), but no paging', () => {
    expect(parseAuditExportQuery({ format: 'ndjson', workflow: 'w', order: 'asc' }, 't1')).toEqual({
      filter: { tenant: 't1', workflow: 'w' },
      order: 'asc',
    });
    expect(parseAuditExportQuery({}, 't1')).toEqual({ filter: { tenant: 't1' }, order: 'desc' });
    expect(paths(() => parseAuditExportQuery({ format: 'csv' }, 't1'))).toEqual(['$.query.format']);
    expect(paths(() => parseAuditExportQuery({ limit: '10' }, 't1'))).toEqual(['$.query.limit']);
    expect(paths(() => parseAuditExportQuery({ from: '2026-11-21', to: '2026-11-20' }, 't1'))).toEqual([
      '$.query.from',
    ]);
  });
});
