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

/**
 * The receipts agent's workflow (SPEC §11's child): it reads the receipt on file for a report.
 * Its one node needs only expenses:read — the ceiling its caller delegates.
 */
export function receiptCheckWorkflow(expensesUrl: string) {
  return {
    name: 'receipt-check',
    description: "Check a report's receipt (the receipts agent)",
    agentId: 'receipts-agent',
    inputSchema: {
      type: 'object',
      required: ['reportId'],
      properties: { reportId: { type: 'string' } },
    },
    defaults: { oauth: { profile: 'corp' }, timeoutMs: 30000 },
    nodes: [
      {
        id: 'read-receipt',
        type: 'http',
        oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
        request: { method: 'GET', url: `${expensesUrl}/reports/{{input.reportId}}/receipt` },
      },
    ],
  };
}

/**
 * The expense agent fetching a report and handing "check the receipt" to the receipts agent with a
 * ceiling of expenses:read: however broad the user's token, the child can never get more.
 */
export function expenseCheckWorkflow(expensesUrl: string) {
  return {
    name: 'expense-check',
    description: 'Fetch a report and have the receipts agent check its receipt',
    agentId: 'expense-agent',
    defaults: { oauth: { profile: 'corp' }, timeoutMs: 30000 },
    nodes: [
      {
        id: 'fetch',
        type: 'http',
        oauth: { requiredScopes: ['expenses:read'], audience: 'https://expenses.example.com' },
        request: { method: 'GET', url: `${expensesUrl}/reports/{{input.reportId}}` },
      },
      {
        id: 'check-receipt',
        type: 'workflow',
        dependsOn: ['fetch'],
        workflow: { name: 'receipt-check', input: { reportId: '{{input.reportId}}' } },
        oauth: { requiredScopes: ['expenses:read'] },
      },
    ],
  };
}
