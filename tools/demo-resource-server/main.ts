/**
 * CLI entry of the demo resource server, a small "expenses" API that checks Baton's exchanged
 * tokens (`node dist/tools/demo-resource-server/main.js`). Configuration: see config.ts.
 * Logs JSON lines: the audience, scopes and actor it saw on each request; never a token.
 */
import { optionsFromEnvironment } from './config.js';
import { startExpensesResourceServer } from './server.js';

function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}

async function main(): Promise<void> {
  const options = optionsFromEnvironment(process.env);
  const server = await startExpensesResourceServer(options, (line) =>
    log(line.status < 400 ? 'info' : 'warn', line.msg, { ...line }),
  );
  log('info', 'demo resource server listening', {
    url: server.url,
    issuer: options.issuer,
    jwksUrl: options.jwksUrl,
    audience: options.audience,
  });

  const stop = (signal: NodeJS.Signals) => {
    log('info', 'demo resource server stopping', { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  log('error', 'demo resource server failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
