/**
 * The SPEC §3 sample workflow, exactly as written there, with the expenses API at `expensesUrl`
 * (the SPEC's `http://127.0.0.1:5000` when the demo runs on its default ports).
 */
export function expenseApprovalWorkflow(expensesUrl: string) {
  return {
    name: 'expense-approval',
    description: 'Fetch a report, ask a manager, submit it',
    agentId: 'expense-agent',
    defaults: {
      oauth: { profile: 'corp' },
      retry: { maxAttempts: 3, backoffMs: 500 },
      timeoutMs: 30000,
    },
    nodes: [
      {
        id: 'fetch',
        type: 'http',
        oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
        request: { method: 'GET', url: `${expensesUrl}/reports/{{input.reportId}}` },
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
        oauth: {
          requiredScopes: ['expenses:write'],
          optionalScopes: ['expenses:notify'],
          audience: 'https://expenses.example.com',
        },
        request: {
          method: 'POST',
          url: `${expensesUrl}/reports/{{input.reportId}}/submit`,
          headers: { 'content-type': 'application/json' },
          body: { total: '{{nodes.fetch.output.body.total}}' },
        },
      },
    ],
  };
}
