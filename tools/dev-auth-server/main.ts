/**
 * CLI entry of the dev authorization server (`npm run start:dev-as`). Configuration: see config.ts.
 * Logs JSON lines; never a token or a secret.
 */
import { optionsFromEnvironment } from './config.js';
import { startDevAuthServer } from './server.js';

function log(level: 'info' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}

async function main(): Promise<void> {
  const options = optionsFromEnvironment(process.env, process.argv.slice(2));
  const server = await startDevAuthServer(options);
  log('info', 'dev authorization server listening', {
    url: server.url,
    issuer: server.issuer,
    devMode: options.devMode ?? false,
    clients: (options.clients ?? []).map((c) => c.clientId),
  });

  const stop = (signal: NodeJS.Signals) => {
    log('info', 'dev authorization server stopping', { signal });
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', 'close failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  log('error', 'dev authorization server failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
