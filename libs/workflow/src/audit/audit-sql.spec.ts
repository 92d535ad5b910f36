import { describe, expect, it } from '@jest/globals';
import { auditEntriesStatement, auditStatsStatement } from './audit-sql.js';

const SELECT =
  'SELECT id, at, tenant, operation, run_id AS "runId", node_id AS "nodeId", workflow, agent_id AS "agentId", user_id AS "userId", issuer, scopes, target, success, error, details FROM audit_entries';

describe('audit SQL', () => {
  it('lists everything newest first without a filter', () => {
    expect(auditEntriesStatement({ tenant: 't1' }, 'desc', { limit: 51 })).toEqual({
      text: `${SELECT} WHERE tenant = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      values: ['t1', 51],
    });
  });

  it('puts each filter in a parameter (success as a literal, for the partial index), then the keyset and the limit', () => {
    const statement = auditEntriesStatement(
      {
        tenant: 't1',
        runId: 'r',
        userId: "o'brien",
        agentId: 'a',
        workflow: 'w',
        operations: ['token.used'],
        success: false,
        from: new Date('2026-11-20T00:00:00Z'),
        to: new Date('2026-11-21T00:00:00Z'),
      },
      'desc',
      { after: { at: new Date('2026-11-20T12:00:00.5Z'), id: '77' }, limit: 3 },
    );
    expect(statement.text).toBe(
      `${SELECT} WHERE tenant = $1 AND run_id = $2::uuid AND user_id = $3 AND agent_id = $4 AND workflow = $5 AND operation = $6 AND NOT success` +
        ` AND at >= $7::timestamptz AND at < $8::timestamptz AND (at, id) < ($9::timestamptz, $10::bigint) ORDER BY at DESC, id DESC LIMIT $11`,
    );
    expect(statement.values).toEqual([
      't1',
      'r',
      "o'brien",
      'a',
      'w',
      'token.used',
      '2026-11-20T00:00:00.000Z',
      '2026-11-21T00:00:00.000Z',
      '2026-11-20T12:00:00.500Z',
      '77',
      3,
    ]);
  });

  it('matches several operations with ANY, and pages forward for asc', () => {
    const statement = auditEntriesStatement(
      { tenant: 't1', operations: ['run.started', 'run.failed'], success: true },
      'asc',
      {
        after: { at: new Date(0), id: '1' },
        limit: 2,
      },
    );
    expect(statement.text).toBe(
      `${SELECT} WHERE tenant = $1 AND operation = ANY($2::text[]) AND success AND (at, id) > ($3::timestamptz, $4::bigint) ORDER BY at ASC, id ASC LIMIT $5`,
    );
    expect(statement.values).toEqual(['t1', ['run.started', 'run.failed'], '1970-01-01T00:00:00.000Z', '1', 2]);
  });

  it('counts per UTC bucket and group, whatever the session time zone', () => {
    const statement = auditStatsStatement({
      tenant: 't1',
      from: new Date('2026-11-20T00:00:00Z'),
      to: new Date('2026-11-21T00:00:00Z'),
      bucket: 'hour',
      groupBy: 'agentId',
    });
    expect(statement.text).toContain(
      `date_bin($1::interval, at, TIMESTAMPTZ '2001-01-01 00:00:00+00') AS start, agent_id AS "group"`,
    );
    expect(statement.text).toContain(
      'WHERE tenant = $4 AND at >= $2::timestamptz AND at < $3::timestamptz GROUP BY 1, 2 ORDER BY 1, 2',
    );
    expect(statement.values).toEqual(['1 hour', '2026-11-20T00:00:00.000Z', '2026-11-21T00:00:00.000Z', 't1']);
  });
});
