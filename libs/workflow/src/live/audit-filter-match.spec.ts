import { describe, expect, it } from '@jest/globals';
import type { AuditEntryView } from '../audit/audit-entry.view.js';
import type { AuditFilter } from '../audit/audit-filter.js';
import { matchesAuditFilter } from './audit-filter-match.js';

const entry: AuditEntryView = {
  id: '7',
  at: '2026-12-03T10:00:00.000Z',
  tenant: 'acme',
  operation: 'token.exchanged',
  runId: '00000000-0000-4000-8000-000000000001',
  nodeId: 'fetch',
  workflow: 'expenses',
  agentId: 'agent-1',
  userId: 'alice',
  issuer: 'https://idp.example.com',
  scopes: ['expenses:read'],
  target: 'https://expenses.example.com',
  success: false,
  error: 'invalid_grant',
  details: null,
};

describe('matchesAuditFilter (the live twin of auditConditions)', () => {
  it('matches everything with no filter', () => expect(matchesAuditFilter(entry, { tenant: 'acme' })).toBe(true));

  const cases: [string, AuditFilter, boolean][] = [
    ['another tenant never matches (SPEC §12.1)', { tenant: 'globex' }, false],
    ['runId equal', { tenant: 'acme', runId: entry.runId! }, true],
    ['runId other', { tenant: 'acme', runId: '00000000-0000-4000-8000-000000000002' }, false],
    ['userId equal', { tenant: 'acme', userId: 'alice' }, true],
    ['userId other', { tenant: 'acme', userId: 'bob' }, false],
    ['issuer equal', { tenant: 'acme', issuer: 'https://idp.example.com' }, true],
    ['issuer other', { tenant: 'acme', issuer: 'https://other.example.com' }, false],
    [
      'userId and issuer: both must match',
      { tenant: 'acme', userId: 'alice', issuer: 'https://other.example.com' },
      false,
    ],
    ['agentId equal', { tenant: 'acme', agentId: 'agent-1' }, true],
    ['agentId other', { tenant: 'acme', agentId: 'agent-2' }, false],
    ['workflow equal', { tenant: 'acme', workflow: 'expenses' }, true],
    ['workflow other', { tenant: 'acme', workflow: 'payroll' }, false],
    ['one of the operations', { tenant: 'acme', operations: ['run.started', 'token.exchanged'] }, true],
    ['none of the operations', { tenant: 'acme', operations: ['run.started'] }, false],
    ['success false', { tenant: 'acme', success: false }, true],
    ['success true', { tenant: 'acme', success: true }, false],
    ['from at the instant (inclusive)', { tenant: 'acme', from: new Date('2026-12-03T10:00:00.000Z') }, true],
    ['from after it', { tenant: 'acme', from: new Date('2026-12-03T10:00:00.001Z') }, false],
    ['to after it', { tenant: 'acme', to: new Date('2026-12-03T10:00:00.001Z') }, true],
    ['to at the instant (exclusive)', { tenant: 'acme', to: new Date('2026-12-03T10:00:00.000Z') }, false],
  ];
  it.each(cases)('%s', (_, filter, expected) => expect(matchesAuditFilter(entry, filter)).toBe(expected));

  it('an entry without a run never matches a runId filter', () => {
    expect(matchesAuditFilter({ ...entry, runId: null }, { tenant: 'acme', runId: entry.runId! })).toBe(false);
  });
});
