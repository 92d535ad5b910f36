/** Small factories for workflow definitions used across tests (SPEC §3). */
export interface NodeSpec {
  id: string;
  type?: 'http' | 'approval' | 'handler';
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

export function definition(name: string, nodes: NodeSpec[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    agentId: 'test-agent',
    defaults: { oauth: { profile: 'corp' }, retry: { maxAttempts: 3, backoffMs: 50 }, timeoutMs: 5000 },
    nodes,
    ...extra,
  };
}

/** The SPEC §3 sample, pointed at `baseUrl`. */
export function expenseApproval(baseUrl: string, name = 'expense-approval'): Record<string, unknown> {
  return {
    name,
    description: 'Fetch a report, ask a manager, submit it',
    agentId: 'expense-agent',
    defaults: { oauth: { profile: 'corp' }, retry: { maxAttempts: 3, backoffMs: 500 }, timeoutMs: 30000 },
    nodes: [
      {
        id: 'fetch',
        type: 'http',
        oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
        request: { method: 'GET', url: `${baseUrl}/reports/{{input.reportId}}` },
      },
      {
        id: 'approve',
        type: 'approval',
        dependsOn: ['fetch'],
        approval: { prompt: 'Submit report {{input.reportId}} for {{nodes.fetch.output.body.total}}?' },
      },
      {
        id: 'submit',
        type: 'http',
        dependsOn: ['approve'],
        oauth: { requiredScopes: ['expenses:write'], optionalScopes: ['expenses:notify'], audience: 'https://expenses.example.com' },
        request: {
          method: 'POST',
          url: `${baseUrl}/reports/{{input.reportId}}/submit`,
          headers: { 'content-type': 'application/json' },
          body: { total: '{{nodes.fetch.output.body.total}}' },
        },
      },
    ],
  };
}
