import { ConfigError, loadConfig, type BatonConfig } from './config.loader.js';

/**
 * Loads the configuration for a process, or stops it with one line naming the key (SPEC §2).
 * Called before Nest boots so that nothing half-starts on bad configuration.
 */
export function loadConfigOrExit(processName: string, env: NodeJS.ProcessEnv = process.env): BatonConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`baton ${processName}: configuration error: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

/** Stops a process whose start failed (database unreachable, port taken) with one clear line. */
export function exitOnStartFailure(processName: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`baton ${processName}: failed to start: ${message.split('\n')[0]}\n`);
  process.exit(1);
}
