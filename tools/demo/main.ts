/**
 * `npm run demo`: the whole Baton stack on this machine, with a sample run told as it happens.
 *
 * preflight (Postgres, Redis, ports) → start the dev authorization server, the demo expenses API,
 * the API and the worker from the built tree → tell the story (story.ts) → print the run's audit
 * trail → keep the stack running until Ctrl-C (or stop at once with --once).
 * Every failure stops every child and exits non-zero; the children's logs stay in the work directory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { auditTable, readAuditTrail } from './audit-table.js';
import { BatonApi } from './baton-api.js';
import { demoOptions, DemoOptionsError, redactedUrl, USAGE, type DemoOptions } from './demo-options.js';
import { DevAuthAdmin } from './dev-auth-admin.js';
import { preflightFailureMessage, preflightPassed, runPreflight } from './preflight.js';
import { ProgressView } from './progress-view.js';
import { ResourceObservations } from './resource-observations.js';
import { planStack, type StackPlan } from './stack-plan.js';
import { ChildExited, ChildNotReady, StackSupervisor } from './stack-supervisor.js';
import { CAST, REPORT_ID, tellStory } from './story.js';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const STARTUP_TIMEOUT_MS = 60_000;

/** Ctrl-C (or SIGTERM, SIGHUP) while the demo was working. */
class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted (${signal})`);
  }
}

async function main(): Promise<number> {
  let options: DemoOptions;
  try {
    const parsed = demoOptions(process.argv.slice(2), process.env);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed;
  } catch (err) {
    if (!(err instanceof DemoOptionsError)) throw err;
    process.stderr.write(`baton demo: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }

  const view = new ProgressView(process.stdout, process.env);
  view.line(
    `${view.bold('Baton demo')} — a workflow acting for a user, one narrowed token per step, a human in the loop`,
  );

  view.section('Preflight');
  const report = await runPreflight(options);
  if (!preflightPassed(report)) {
    view.close();
    process.stderr.write(`${preflightFailureMessage(options, report).join('\n')}\n`);
    return 1;
  }
  view.ok(`Postgres  ${redactedUrl(options.databaseUrl)}`);
  view.ok(`Redis     ${redactedUrl(options.redisUrl)}`);
  view.ok(`ports ${Object.values(options.ports).join(', ')} are free`);

  const workdir = mkdtempSync(join(tmpdir(), 'baton-demo-'));
  const plan = planStack(options, workdir, process.env);
  const stack = new StackSupervisor(REPO_ROOT, join(workdir, 'stack.log'));
  const interruption = watchSignals(stack);

  /** Whatever the demo waits for also ends when a child dies or the user presses Ctrl-C. */
  const guarded = <T>(work: Promise<T>): Promise<T> => Promise.race([work, stack.failure, interruption]);

  let idle = false;
  try {
    view.section(`Starting the stack ${view.dim(`(logs of every process: ${stack.logPath})`)}`);
    if (options.encryptionKeyGenerated)
      view.line(`  ${view.dim('BATON_ENCRYPTION_KEY is not set: using a random key for this demo run')}`);
    await guarded(startStack(stack, plan, view));

    const expenses = new ResourceObservations(stack.children.find((c) => c.spec.name === 'resource-server')!);
    const api = new BatonApi(plan.api.url);
    const ending = await guarded(
      tellStory({
        api,
        auth: new DevAuthAdmin(plan.devAuthServer.url),
        view,
        expenses,
        expensesUrl: plan.resourceServer.url,
      }),
    );

    const { entries, pages } = await guarded(readAuditTrail(api, ending.operatorToken, ending.runId));
    view.section(
      `Audit trail of run ${ending.runId} ${view.dim(`(${entries.length} entries, ${pages} pages of GET /v1/runs/{id}/audit)`)}`,
    );
    for (const row of auditTable(entries, view.tty ? (process.stdout.columns || 120) - 3 : Infinity))
      view.line(`  ${row}`);

    printExploreHints(view, plan, stack.logPath, options.once);
    if (options.once) {
      await stopStack(view, stack);
      return 0;
    }
    view.line();
    view.line(view.bold('The stack keeps running. Press Ctrl-C to stop it.'));
    idle = true;
    await guarded(new Promise<never>(() => undefined));
    return 0; // unreachable: the wait above ends only by rejection
  } catch (err) {
    if (err instanceof Interrupted) {
      view.clearLive();
      if (!idle) view.line(`\n${view.yellow(`Interrupted (${err.signal}) before the story ended.`)}`);
      await stopStack(view, stack);
      return idle ? 0 : 130; // Ctrl-C is how a running demo ends; before that it cuts the story short
    }
    reportFailure(view, stack, err);
    await stopStack(view, stack);
    return 1;
  } finally {
    view.close();
  }
}

/** Starts all four processes at once and reports each as it becomes ready, in a fixed order. */
async function startStack(stack: StackSupervisor, plan: StackPlan, view: ProgressView): Promise<void> {
  const specs = [plan.devAuthServer, plan.resourceServer, plan.api, plan.worker];
  const started = Date.now();
  const children = specs.map((spec) => stack.start(spec));
  const waiting = new Set(specs.map((s) => s.name));
  view.setLive('starting', [...waiting]);
  const titleWidth = Math.max(...specs.map((s) => s.title.length));
  for (const child of children) {
    await stack.waitUntilReady(child, STARTUP_TIMEOUT_MS - (Date.now() - started));
    waiting.delete(child.spec.name);
    view.ok(
      `${child.spec.title.padEnd(titleWidth)}  ${child.spec.url}  ${view.dim(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`)}`,
    );
    if (waiting.size > 0) view.setLive('starting', [...waiting]);
  }
  view.clearLive();
}

function printExploreHints(view: ProgressView, plan: StackPlan, logPath: string, once: boolean): void {
  view.section(once ? 'Explore (next time: npm run demo, without --once, keeps the stack running)' : 'Explore');
  const rows: [string, string][] = [
    ['web console', `${plan.api.url}/console`],
    ['API docs (OpenAPI UI)', `${plan.api.url}/docs`],
    ['API metrics', `${plan.api.url}/metrics`],
    ['worker metrics', `${plan.worker.url}/metrics`],
    ['dev authorization server', `${plan.devAuthServer.url}/.well-known/openid-configuration`],
    ['expenses API (needs a token)', `${plan.resourceServer.url}/reports/${REPORT_ID}`],
    ['logs of every process', logPath],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) view.line(`  ${label.padEnd(width)}  ${view.cyan(value)}`);
  view.line();
  view.line(`  Open ${plan.api.url}/console, sign in as ${CAST.manager.sub} (no password), approve in Escalations.`);
  view.line();
  view.line(`  A token for ${CAST.employee.sub}, then her runs:`);
  view.line(
    view.dim(
      `    TOKEN=$(curl -s -X POST ${plan.devAuthServer.url}/admin/tokens -H 'content-type: application/json' -d '{"sub":"${CAST.employee.sub}","scope":"${CAST.employee.scopes.join(' ')}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    ),
  );
  view.line(view.dim(`    curl -s -H "Authorization: Bearer $TOKEN" ${plan.api.url}/v1/runs`));
}

async function stopStack(view: ProgressView, stack: StackSupervisor): Promise<void> {
  if (stack.children.length === 0) return;
  view.line();
  view.line('Stopping the stack…');
  await stack.stopAll();
  view.ok('every process stopped');
}

/** What went wrong, and the last words of the process concerned (or of every process). */
function reportFailure(view: ProgressView, stack: StackSupervisor, err: unknown): void {
  view.clearLive();
  const lines = ['', `✗ The demo failed: ${err instanceof Error ? err.message : String(err)}`];
  const concerned = err instanceof ChildExited || err instanceof ChildNotReady ? [err.child] : stack.children;
  for (const child of concerned) {
    const tail = child.tail(err instanceof ChildExited || err instanceof ChildNotReady ? 20 : 8);
    if (tail.length === 0) continue;
    lines.push(`  Last output of ${child.spec.name}:`, ...tail.map((l) => `    ${l}`));
  }
  lines.push(`  Logs of every process: ${stack.logPath}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/**
 * The first SIGINT/SIGTERM/SIGHUP rejects the returned promise (the demo then stops the stack in
 * order); a second one kills every child at once. Children are also killed if the demo exits.
 */
function watchSignals(stack: StackSupervisor): Promise<never> {
  let interrupt!: (error: Interrupted) => void;
  const interruption = new Promise<never>((_, reject) => (interrupt = reject));
  interruption.catch(() => undefined);
  let received = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (received) {
        stack.killAllNow();
        process.exit(130);
      }
      received = true;
      interrupt(new Interrupted(signal));
    });
  }
  process.once('exit', () => stack.killAllNow());
  return interruption;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `baton demo: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
