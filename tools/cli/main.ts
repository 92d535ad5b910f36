#!/usr/bin/env node
import { CommanderError } from 'commander';
import { ApiRefusal, ApiUnreachable, ExitCode, UsageError } from './cli-errors.js';
import { buildProgram } from './program.js';

/** `baton`: exit 0 done, 1 refused by the API (or a failed run / broken chain), 2 usage, 3 API unreachable. */
const io = {
  env: process.env,
  write: (text: string) => void process.stdout.write(text),
  writeError: (text: string) => void process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
};
try {
  await buildProgram(io).parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } else if (error instanceof UsageError) {
    process.stderr.write(`baton: ${error.message}\n`);
    process.exitCode = ExitCode.Usage;
  } else if (error instanceof ApiRefusal) {
    process.stderr.write(`baton: ${error.message}\n`);
    process.exitCode = ExitCode.Refused;
  } else if (error instanceof ApiUnreachable) {
    process.stderr.write(`baton: ${error.message}\n`);
    process.exitCode = ExitCode.Unreachable;
  } else throw error;
}
