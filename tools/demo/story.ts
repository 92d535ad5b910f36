import type { BatonApi, EscalationView } from './baton-api.js';
import type { DevAuthAdmin } from './dev-auth-admin.js';
import type { ProgressView } from './progress-view.js';
import { describeObservation, type ResourceObservations } from './resource-observations.js';
import { RunWatcher, node } from './run-watcher.js';
import { expenseApprovalWorkflow, expenseCheckWorkflow, receiptCheckWorkflow } from './sample-workflow.js';
import { StoryFailure, waitFor } from './step-waiter.js';

/** Who takes part, and the scopes each one signs in with. */
export const CAST = {
  employee: { sub: 'alice', scopes: ['expenses:read', 'expenses:write', 'expenses:notify', 'calendar:read'] },
  manager: { sub: 'morgan', scopes: ['baton:escalations:resolve'] },
  operator: { sub: 'ops', scopes: ['baton:workflows:write', 'baton:runs:read_all', 'baton:audit:read'] },
} as const;

export const REPORT_ID = 'R-1042';

export interface StoryContext {
  api: BatonApi;
  auth: DevAuthAdmin;
  view: ProgressView;
  expenses: ResourceObservations;
  expensesUrl: string;
}

export interface StoryEnding {
  runId: string;
  /** The operator's token (auditRead), for reading the audit trail afterwards. */
  operatorToken: string;
}

/**
 * A sub-agent with a delegated ceiling (SPEC §11), then the SPEC §3 workflow end to end, told as
 * it happens: a narrowed exchange, an approval by a
 * manager, a session revoked at the IdP (which tells Baton through Shared Signals) that pauses the
 * run before its next step, a fresh sign-in that resumes it, success.
 * Every step talks to the real processes over HTTP; nothing is simulated.
 */
export async function tellStory({ api, auth, view, expenses, expensesUrl }: StoryContext): Promise<StoryEnding> {
  const { employee, manager, operator } = CAST;
  view.section('The story');
  view.line(`     Cast: ${view.bold(employee.sub)}, an employee (signs in with ${employee.scopes.join(' ')});`);
  view.line(`           ${view.bold(manager.sub)}, a manager (${manager.scopes.join(' ')});`);
  view.line(`           ${view.bold(operator.sub)}, an operator (${operator.scopes.join(' ')}).`);
  let step = 0;

  const operatorToken = await auth.signIn(operator.sub, operator.scopes);
  const managerToken = await auth.signIn(manager.sub, manager.scopes);
  const workflow = await api.registerWorkflow(operatorToken, expenseApprovalWorkflow(expensesUrl));
  view.step(
    ++step,
    `${operator.sub} registers the SPEC §3 workflow ${view.bold(workflow.name)} (version ${workflow.version}): fetch → approve → submit`,
  );

  step = await delegateReceiptCheck({ api, auth, view, expenses, expensesUrl }, operatorToken, step);

  let userToken = await auth.signIn(employee.sub, employee.scopes);
  const beforeFetch = expenses.count;
  const started = await api.startRun(userToken, workflow.name, { reportId: REPORT_ID });
  const startedAt = Date.now();
  view.step(++step, `${employee.sub} signs in and starts run ${view.bold(started.id)} for report ${REPORT_ID}`);
  const watcher = new RunWatcher(api, operatorToken, started.id, view);
  watcher.start();
  try {
    // fetch: one exchange, narrowed to the node's scope.
    const fetched = await watcher.until('fetch to succeed', (run) => node(run, 'fetch').status === 'succeeded');
    const fetchScopes = node(fetched, 'fetch').grantedScopes ?? [];
    const fetchSeen = await expenses.next(
      'the fetch request',
      beforeFetch,
      (o) => o.method === 'GET' && o.path.startsWith('/reports/'),
    );
    view.step(
      ++step,
      `fetch: Baton exchanged ${employee.sub}'s token (RFC 8693) for one narrowed to ${view.green(fetchScopes.join(' '))}, audience https://expenses.example.com`,
    );
    view.note(
      `${employee.sub} holds ${employee.scopes.length} scopes; the node needs only expenses:read, so the others never leave Baton`,
    );
    view.note(`the expenses API saw ${describeObservation(fetchSeen)}`);

    // approve: a human decision.
    const approval = await openEscalation(api, managerToken, started.id, 'approve', 'the approval escalation');
    expectReason(approval, 'approval_required');
    view.step(++step, `approve: the run waits for a human — escalation ${view.yellow(approval.reason)}`);
    view.note(`prompt: "${approval.prompt ?? ''}"`);

    // The user's session ends before the manager decides; the IdP tells Baton at once (SPEC §10).
    view.step(
      ++step,
      `Meanwhile ${employee.sub}'s session is revoked at the authorization server: every token she holds stops working`,
    );
    const pushed = await auth.revokeSession(employee.sub);
    if (pushed !== 202) throw new Error(`Baton answered ${pushed} to the session-revoked event (expected 202)`);
    view.note(
      `the authorization server pushed a CAEP session-revoked Security Event Token to Baton (POST /v1/ssf/events → 202): Baton deleted the run's stored token`,
    );

    view.step(++step, `${manager.sub} (${manager.scopes.join(' ')}) approves: "Within the travel budget"`);
    await api.resolveEscalation(managerToken, approval.id, { action: 'approve', note: 'Within the travel budget' });

    // submit: Baton knows the token is revoked; the run pauses before asking the authorization server.
    const revoked = await openEscalation(api, managerToken, started.id, 'submit', 'the run to pause on submit');
    expectReason(revoked, 'token_revoked');
    view.step(
      ++step,
      `submit: no exchange is even tried with the revoked token — the run pauses with ${view.yellow(revoked.reason)}`,
    );
    view.note(revoked.detail ?? '');

    // The user signs in again and hands Baton the new token.
    view.step(
      ++step,
      `${employee.sub} signs in again; the run resumes with her new token (resolve: resume + subjectToken)`,
    );
    userToken = await auth.signIn(employee.sub, employee.scopes);
    const beforeSubmit = expenses.count;
    await api.resolveEscalation(userToken, revoked.id, {
      action: 'resume',
      subjectToken: userToken,
      note: 'signed in again',
    });

    const finished = await watcher.until('the run to succeed', (run) => run.status === 'succeeded');
    const submitScopes = node(finished, 'submit').grantedScopes ?? [];
    const submitSeen = await expenses.next(
      'the submit request',
      beforeSubmit,
      (o) => o.method === 'POST' && o.status < 400,
    );
    view.step(
      ++step,
      `submit: token narrowed to ${view.green(submitScopes.join(' '))} (expenses:notify is optional; ${employee.sub} holds it)`,
    );
    view.note(`the expenses API saw ${describeObservation(submitSeen)}`);
    view.step(
      ++step,
      `Run ${started.id} ${view.green('succeeded')} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
  } finally {
    watcher.stop();
  }
  return { runId: started.id, operatorToken };
}

/**
 * A sub-agent (SPEC §11): the expense agent fetches the report and hands "check the receipt" to the
 * receipts agent, delegating only expenses:read. Returns the last step number.
 */
async function delegateReceiptCheck(
  { api, auth, view, expenses, expensesUrl }: StoryContext,
  operatorToken: string,
  step: number,
): Promise<number> {
  const { employee } = CAST;
  const receipts = await api.registerWorkflow(operatorToken, receiptCheckWorkflow(expensesUrl));
  const check = await api.registerWorkflow(operatorToken, expenseCheckWorkflow(expensesUrl));
  view.step(
    ++step,
    `First a smaller job: ${view.bold(check.name)} (expense-agent) fetches the report and hands "check the receipt" to ${view.bold(receipts.name)} (receipts-agent), delegating only expenses:read`,
  );
  const token = await auth.signIn(employee.sub, employee.scopes);
  const beforeReceipt = expenses.count;
  const started = await api.startRun(token, check.name, { reportId: REPORT_ID });
  const watcher = new RunWatcher(api, operatorToken, started.id, view);
  watcher.start();
  try {
    const checked = await watcher.until('the receipt check to succeed', (run) => run.status === 'succeeded');
    const child = checked.children[0];
    if (!child) throw new StoryFailure(`run ${checked.id} has no child run`);
    const childRun = await api.run(operatorToken, child.id);
    const childScopes = node(childRun, 'read-receipt').grantedScopes ?? [];
    const receiptSeen = await expenses.next(
      'the receipt request',
      beforeReceipt,
      (o) => o.method === 'GET' && o.path.endsWith('/receipt'),
    );
    view.step(
      ++step,
      `check-receipt: a child run ${view.bold(child.id)} of ${child.workflow.name} (depth ${childRun.depth}, parent ${checked.id}) read the receipt with a token narrowed to ${view.green(childScopes.join(' '))}`,
    );
    view.note(
      `${employee.sub} also holds expenses:write and expenses:notify; nothing above the ceiling expenses:read can reach the receipts agent`,
    );
    view.note(`the expenses API saw ${describeObservation(receiptSeen)}`);
    view.note(`run ${checked.id} ${view.green('succeeded')} with the child's outputs as the node's output`);
  } finally {
    watcher.stop();
  }
  return step;
}

/** The run's open escalation on `nodeId`, as the manager's queue shows it. */
async function openEscalation(
  api: BatonApi,
  token: string,
  runId: string,
  nodeId: string,
  description: string,
): Promise<EscalationView> {
  const page = await waitFor(
    description,
    () => api.escalations(token, { runId, status: 'open' }),
    (p) => p.items.some((e) => e.nodeId === nodeId),
  );
  return page.items.find((e) => e.nodeId === nodeId)!;
}

function expectReason(escalation: EscalationView, reason: string): void {
  if (escalation.reason !== reason) {
    throw new StoryFailure(
      `expected an escalation ${reason} on ${escalation.nodeId}, got ${escalation.reason}: ${escalation.detail ?? ''}`,
    );
  }
}
