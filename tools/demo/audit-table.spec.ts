import { describe, expect, it } from '@jest/globals';
import type { AuditEntryView } from './baton-api.js';
import { auditTable, outcome } from './audit-table.js';

const entry = (operation: AuditEntryView['operation'], fields: Partial<AuditEntryView> = {}): AuditEntryView => ({
  id: '1',
  at: '2026-11-22T10:00:00.000Z',
  tenant: 'default',
  operation,
  runId: null,
  nodeId: null,
  workflow: null,
  agentId: null,
  userId: 'alice',
  issuer: null,
  scopes: null,
  target: null,
  success: true,
  error: null,
  details: null,
  ...fields,
});

describe('audit table', () => {
  it('names the outcome with the detail that matters for each operation', () => {
    expect(outcome(entry('run.started'))).toBe('ok');
    expect(outcome(entry('token.revoked', { success: false, error: 'invalid_grant' }))).toBe('failed (invalid_grant)');
    expect(outcome(entry('escalation.created', { details: { reason: 'approval_required' } }))).toBe(
      'ok (approval_required)',
    );
    expect(outcome(entry('escalation.resolved', { details: { action: 'approve', by: 'morgan' } }))).toBe(
      'ok (approve by morgan)',
    );
    expect(outcome(entry('token.used', { details: { status: 200 } }))).toBe('ok (HTTP 200)');
    expect(outcome(entry('token.exchanged', { details: { cached: true } }))).toBe('ok (cached)');
  });

  it('has a header, a rule and one aligned row per entry', () => {
    const lines = auditTable([
      entry('token.exchanged', { nodeId: 'fetch', scopes: ['expenses:read'], target: 'https://expenses.example.com' }),
      entry('run.succeeded'),
    ]);
    expect(lines[0]).toMatch(/^#\s+operation\s+node\s+granted scopes\s+target\s+outcome$/);
    expect(lines[1]).toMatch(/^─+( +─+){5}$/);
    expect(lines[2]).toMatch(/^1 {2}token\.exchanged\s+fetch\s+expenses:read\s+https:\/\/expenses\.example\.com\s+ok$/);
    expect(lines[3]).toMatch(/^2 {2}run\.succeeded\s+-\s+-\s+-\s+ok$/);
    expect(lines[2]!.indexOf('fetch')).toBe(lines[0]!.indexOf('node'));
  });

  it("fits a narrow terminal by cutting long cells in the middle, keeping a node's granted scopes whole", () => {
    const lines = auditTable(
      [
        entry('run.started', { scopes: ['expenses:read', 'expenses:write', 'expenses:notify', 'calendar:read'] }),
        entry('token.used', {
          nodeId: 'submit',
          scopes: ['expenses:write', 'expenses:notify'],
          target: 'POST http://127.0.0.1:5000/reports/R-1042/submit',
          details: { status: 200 },
        }),
      ],
      110,
    );
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(110);
    expect(lines[3]).toContain('expenses:write expenses:notify');
    expect(lines[3]).toMatch(/POST http.*….*submit/);
  });
});
