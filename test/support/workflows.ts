import { expenseApprovalWorkflow } from '../../tools/demo/sample-workflow.js';

/** Small factories for workflow definitions used across tests (SPEC §3). */
export interface NodeSpec {
  id: string;
  type?: 'http' | 'approval' | 'handler' | 'workflow';
  dependsOn?: string[];
  [key: string]: unknown;
}

export function httpNode(id: string, url: string, extra: Partial<NodeSpec> = {}): NodeSpec {
  return {
    id,
    type: 'http',
    oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
    request: { method: 'GET', url },
    ...extra,
  };
}

export function definition(
  name: string,
  nodes: NodeSpec[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    agentId: 'test-agent',
    defaults: { oauth: { profile: 'corp' }, retry: { maxAttempts: 3, backoffMs: 50 }, timeoutMs: 5000 },
    nodes,
    ...extra,
  };
}

/** The SPEC §3 sample, pointed at `baseUrl` (the same definition the demo registers). */
export function expenseApproval(baseUrl: string, name = 'expense-approval'): Record<string, unknown> {
  return { ...expenseApprovalWorkflow(baseUrl), name };
}
