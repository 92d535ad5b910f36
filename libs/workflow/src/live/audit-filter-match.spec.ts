import { describe, expect, it } from '@jest/globals';
import type { AuditEntryView } from '../audit/audit-entry.view.js';
import type { AuditFilter } from '../audit/audit-filter.js';
import { matchesAuditFilter } from './audit-filter-match.js';

const entry: AuditEntryView = {
  id: '7',
  at: '2026-12-03T10:00:00.000Z',
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
  it('matches everything with no filter', () => expect(matchesAuditFilter(entry, {})).toBe(true));

  const cases: [string, AuditFilter, boolean][] = [
    ['runId equal', { runId: entry.runId! }, true],
    ['runId other', { runId: '00000000-0000-4000-8000-000000000002' }, false],
    ['userId equal', { userId: 'alice' }, true],
    ['userId other', { userId: 'bob' }, false],
    ['issuer equal', { issuer: 'https://idp.example.com' }, true],
    ['issuer other', { issuer: 'https://other.example.com' }, false],
    ['userId and issuer: both must match', { userId: 'alice', issuer: 'https://other.example.com' }, false],
    ['agentId equal', { agentId: 'agent-1' }, true],
    ['agentId other', { agentId: 'agent-2' }, false],
    ['workflow equal', { workflow: 'expenses' }, true],
    ['workflow other', { workflow: 'payroll' }, false],
    ['one of the operations', { operations: ['run.started', 'token.exchanged'] }, true],
    ['none of the operations', { operations: ['run.started'] }, false],
    ['success false', { success: false }, true],
    ['success true', { success: true }, false],
    ['from at the instant (inclusive)', { from: new Date('2026-12-03T10:00:00.000Z') }, true],
    ['from after it', { from: new Date('2026-12-03T10:00:00.001Z') }, false],
    ['to after it', { to: new Date('2026-12-03T10:00:00.001Z') }, true],
    ['to at the instant (exclusive)', { to: new Date('2026-12-03T10:00:00.000Z') }, false],
  ];
  it.each(cases)('%s', (_, filter, expected) => expect(matchesAuditFilter(entry, filter)).toBe(expected));

  it('an entry without a run never matches a runId filter', () => {
    expect(matchesAuditFilter({ ...entry, runId: null }, { runId: entry.runId! })).toBe(false);
  });
});
