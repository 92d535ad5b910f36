import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  createBatonClient,
  readEventStream,
  type BatonClient,
  type BatonSchemas,
} from '../../libs/client/src/index.js';
import { ApiRefusal, ApiUnreachable, UsageError } from './cli-errors.js';
import { applyRunEvent, auditLine, type AuditTailOptions, type RunDetail } from './live-view.js';
import { renderRun, TERMINAL_RUN_STATUSES } from './dag-view.js';
import { preflightLines } from './preflight-view.js';
import { scopeChangeLines } from './scope-changes-view.js';

/** Where the CLI writes and what it reads: the process by default, replaceable in tests. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  write(text: string): void;
  writeError(text: string): void;
  isTty: boolean;
  /** How long `runs watch` and `audit tail` wait before reconnecting a stream the server ended. */
  pollMs?: number;
}

interface GlobalOptions {
  url?: string;
  tokenFile?: string;
  json?: boolean;
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The data of an answer, or the CLI error it stands for (refused: 1, unreachable: 3). */
async function unwrap<T>(request: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (error) {
    throw new ApiUnreachable(
      `cannot reach the Baton API: ${(error as Error).cause ? String(((error as Error).cause as Error).message ?? (error as Error).cause) : (error as Error).message}`,
    );
  }
  if (answer.error !== undefined || !answer.response.ok)
    throw new ApiRefusal(answer.response.status, answer.error as { title?: string; detail?: string });
  return answer.data as T;
}

const jsonOption = (value: string): Record<string, unknown> => {
  try {
    const parsed = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed;
  } catch {
    throw new InvalidArgumentError('must be a JSON object');
  }
};

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** `baton` (SPEC §15): every command on the generated client; `--json` prints raw JSON (NDJSON for streams). */
export function buildProgram(io: CliIo): Command {
  const program = new Command('baton')
    .description('Command line for the Baton API (BATON_URL, BATON_TOKEN)')
    .option('--url <url>', 'API origin (default: $BATON_URL or http://localhost:3000)')
    .option('--token-file <file>', 'read the bearer token from this file (default: $BATON_TOKEN)')
    .option('--json', 'print raw JSON (NDJSON for streams)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.write(s), writeErr: (s) => io.writeError(s) });

  const globals = (command: Command): GlobalOptions => command.optsWithGlobals() as GlobalOptions;
  const clientFor = (command: Command): BatonClient => {
    const options = globals(command);
    const token = options.tokenFile ? readText(options.tokenFile, 'token file').trim() : io.env.BATON_TOKEN;
    return createBatonClient({
      baseUrl: options.url ?? io.env.BATON_URL ?? 'http://localhost:3000',
      token: token || undefined,
    });
  };
  const print = (command: Command, data: unknown, lines: () => string[]) => {
    io.write(globals(command).json ? `${JSON.stringify(data)}\n` : `${lines().join('\n')}\n`);
  };

  const workflows = program.command('workflows').description('workflow definitions');
  workflows
    .command('apply')
    .description('register a definition (YAML or JSON); an existing name gets its next version')
    .requiredOption('-f, --file <file>', 'the definition')
    .action(async (options: { file: string }, command: Command) => {
      let body: unknown;
      try {
        body = parseYaml(readText(options.file, 'definition'));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`${options.file} is neither YAML nor JSON: ${(error as Error).message.split('\n')[0]}`);
      }
      const stored = await unwrap(
        clientFor(command).POST('/v1/workflows', { body: body as BatonSchemas['WorkflowDefinition'] }),
      );
      print(command, stored, () => [
        `${stored.name} version ${stored.version}`,
        ...scopeChangeLines(stored.scopeChanges),
      ]);
    });
  workflows
    .command('list')
    .description('the latest version of each workflow')
    .action(async (_options: unknown, command: Command) => {
      const client = clientFor(command);
      const items: BatonSchemas['Workflow'][] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(client.GET('/v1/workflows', { params: { query: { limit: 200, cursor } } }));
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      print(command, items, () => items.map((w) => `${w.name}\tv${w.version}\t${w.nodes.length} nodes`));
    });

  const runs = program.command('runs').description('runs');
  runs
    .command('start')
    .argument('<name>', 'workflow name')
    .option('--input <json>', 'the run input (a JSON object)', jsonOption)
    .option('--idempotency-key <key>', 'a repeat with the same key returns the first run')
    .action(
      async (name: string, options: { input?: Record<string, unknown>; idempotencyKey?: string }, command: Command) => {
        const started = await unwrap(
          clientFor(command).POST('/v1/workflows/{name}/runs', {
            params: {
              path: { name },
              header: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : undefined,
            },
            body: { input: options.input ?? {} },
          }),
        );
        print(command, started, () => [
          `${started.id}\t${started.status}\t${started.workflow.name} v${started.workflow.version}`,
        ]);
      },
    );
  runs
    .command('get')
    .argument('<id>', 'run id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const run = await unwrap(clientFor(command).GET('/v1/runs/{id}', { params: { path: { id } } }));
      print(command, run, () => renderRun(run));
    });
  runs
    .command('watch')
    .description('the live DAG until the run ends: exit 0 when it succeeded, 1 when it failed or was cancelled')
    .argument('<id>', 'run id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = clientFor(command);
      const json = globals(command).json;
      let drawn = 0;
      const show = (run: RunDetail) => {
        const lines = renderRun(run);
        if (json) io.write(`${JSON.stringify(run)}\n`);
        else if (io.isTty) {
          io.write(`${drawn ? `\x1b[${drawn}A\x1b[J` : ''}${lines.join('\n')}\n`);
          drawn = lines.length;
        } else io.write(`${lines.join('\n')}\n\n`);
      };
      // SPEC §13: the run's event stream; a dropped connection resumes after the last audit entry seen.
      let run: RunDetail | null = null;
      let lastEventId: string | undefined;
      for (let attempt = 0; ; attempt++) {
        const body = await unwrap(
          client.GET('/v1/runs/{id}/events', {
            params: { path: { id }, header: lastEventId ? { 'Last-Event-ID': lastEventId } : {} },
            parseAs: 'stream',
          }),
        );
        for await (const event of readEventStream(body as unknown as ReadableStream<Uint8Array>)) {
          if (event.id) lastEventId = event.id;
          const next = applyRunEvent(run, event);
          if (next === run) continue;
          run = next;
          show(run!);
        }
        if (run && TERMINAL_RUN_STATUSES.includes(run.status)) break;
        if (attempt >= 20) throw new ApiUnreachable('the run event stream keeps ending before the run does');
        await new Promise((resolve) => setTimeout(resolve, io.pollMs ?? 500));
      }
      if (run.status !== 'succeeded') process.exitCode = 1;
    });
  runs
    .command('cancel')
    .argument('<id>', 'run id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const run = await unwrap(clientFor(command).POST('/v1/runs/{id}/cancel', { params: { path: { id } } }));
      print(command, run, () => renderRun(run));
    });

  const escalations = program.command('escalations').description('the human-in-the-loop queue');
  escalations
    .command('list')
    .addOption(
      new Option('--status <status>', 'open (default), resolved or expired').choices(['open', 'resolved', 'expired']),
    )
    .option(
      '--reason <reason>',
      'token_expired, token_revoked, insufficient_scope, consent_required or approval_required',
    )
    .option('--run-id <id>', 'one run only')
    .option('--workflow <name>', 'one workflow only')
    .action(
      async (
        options: { status?: 'open'; reason?: 'approval_required'; runId?: string; workflow?: string },
        command: Command,
      ) => {
        const page = await unwrap(
          clientFor(command).GET('/v1/escalations', {
            params: {
              query: {
                status: options.status,
                reason: options.reason,
                runId: options.runId,
                workflow: options.workflow,
                limit: 200,
              },
            },
          }),
        );
        print(command, page.items, () =>
          page.items.map(
            (e) =>
              `${e.id}\t${e.reason}\t${e.status}\t${e.workflow}\t${e.runId}\t${e.nodeId}${e.prompt ? `\t${e.prompt}` : ''}`,
          ),
        );
      },
    );
  escalations
    .command('resolve')
    .argument('<id>', 'escalation id')
    .addOption(
      new Option('--action <action>', 'what to do')
        .choices(['resume', 'retry', 'approve', 'reject', 'abort'])
        .makeOptionMandatory(),
    )
    .option('--note <note>', 'a note for the audit trail')
    .option('--subject-token-file <file>', 'resume: a fresh token of the same user')
    .action(
      async (id: string, options: { action: 'resume'; note?: string; subjectTokenFile?: string }, command: Command) => {
        const subjectToken = options.subjectTokenFile
          ? readText(options.subjectTokenFile, 'subject token file').trim()
          : undefined;
        const resolved = await unwrap(
          clientFor(command).POST('/v1/escalations/{id}/resolve', {
            params: { path: { id } },
            body: { action: options.action, note: options.note, subjectToken },
          }),
        );
        print(command, resolved, () => [`${resolved.id}\t${resolved.status}\t${resolved.action}`]);
      },
    );

  const audit = program.command('audit').description('the audit trail');
  audit
    .command('tail')
    .description('follow the audit trail as it commits (GET /v1/audit/stream); Ctrl-C ends it')
    .option('--run-id <id>')
    .option('--user-id <sub>')
    .option('--issuer <iss>')
    .option('--agent-id <id>')
    .option('--workflow <name>')
    .option('--operation <operation...>', 'one or more operations')
    .addOption(new Option('--success <bool>', 'only successes or only failures').choices(['true', 'false']))
    .option('--from <instant>', 'start with the entries since then (ISO 8601), else live')
    .action(async (options: AuditTailOptions, command: Command) => {
      const client = clientFor(command);
      const json = globals(command).json;
      const query = {
        runId: options.runId,
        userId: options.userId,
        issuer: options.issuer,
        agentId: options.agentId,
        workflow: options.workflow,
        operation: options.operation as BatonSchemas['AuditEntry']['operation'][] | undefined,
        success: options.success === undefined ? undefined : options.success === 'true',
        from: options.from,
      };
      let lastEventId: string | undefined;
      for (;;) {
        const body = await unwrap(
          client.GET('/v1/audit/stream', {
            params: { query, header: lastEventId ? { 'Last-Event-ID': lastEventId } : {} },
            parseAs: 'stream',
          }),
        );
        for await (const event of readEventStream(body as unknown as ReadableStream<Uint8Array>)) {
          if (event.event !== 'audit') continue;
          if (event.id) lastEventId = event.id;
          const entry = event.data as BatonSchemas['AuditEntry'];
          io.write(json ? `${JSON.stringify(entry)}\n` : `${auditLine(entry)}\n`);
        }
        // The server ended the stream (token expiry, a restart, a slow reader dropped): resume where it was.
        await new Promise((resolve) => setTimeout(resolve, io.pollMs ?? 500));
      }
    });
  audit
    .command('verify')
    .description("recompute a run's hash chain: exit 1 when it is broken")
    .argument('<runId>', 'run id')
    .action(async (runId: string, _options: unknown, command: Command) => {
      const verdict = await unwrap(
        clientFor(command).GET('/v1/runs/{id}/audit/verify', { params: { path: { id: runId } } }),
      );
      print(command, verdict, () => [
        verdict.valid
          ? `chain valid (${verdict.entries} entries)`
          : `chain broken at ${verdict.brokenAt} (${verdict.entries} entries)`,
      ]);
      if (!verdict.valid) process.exitCode = 1;
    });

  program
    .command('preflight')
    .description('what a run would meet if you started it now (no run is created): exit 0 when ready, 1 when not')
    .argument('<name>', 'workflow name')
    .option('--input <json>', 'the run input to check (a JSON object)', jsonOption)
    .option('--version <n>', 'a given version (default: the latest)', (value) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
      return n;
    })
    .option('--exchange', 'try each distinct token exchange once for real (the tokens are discarded)')
    .action(
      async (
        name: string,
        options: { input?: Record<string, unknown>; version?: number; exchange?: boolean },
        command: Command,
      ) => {
        const answer = await unwrap(
          clientFor(command).POST('/v1/workflows/{name}/preflight', {
            params: { path: { name } },
            body: {
              input: options.input ?? {},
              ...(options.version && { version: options.version }),
              exchange: options.exchange === true,
            },
          }),
        );
        print(command, answer, () => preflightLines(answer));
        if (!answer.ready) process.exitCode = 1;
      },
    );

  return program;
}
