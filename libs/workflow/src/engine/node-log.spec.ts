import { describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { NodeLog, debugEnabled } from './node-log.js';

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void =>
      void lines.push({ level, fields, message });
  const logger: LoggerService = { log: at('log'), warn: at('warn'), error: at('error'), debug: at('debug') };
  return { lines, logger };
}

describe('NodeLog', () => {
  const bindings = { runId: 'r-1', nodeId: 'fetch', attempt: 2 };

  it('puts the run id, node id and attempt on every line, beside the line fields', () => {
    const { lines, logger } = recorder();
    const log = new NodeLog(logger, bindings, true);
    log.warn('node failed', { code: 'http_error' });
    log.error('boom', { err: 'x' });
    log.debug('node finished', () => ({ outcome: 'succeeded' }));
    expect(lines).toEqual([
      { level: 'warn', message: 'node failed', fields: { ...bindings, code: 'http_error' } },
      { level: 'error', message: 'boom', fields: { ...bindings, err: 'x' } },
      { level: 'debug', message: 'node finished', fields: { ...bindings, outcome: 'succeeded' } },
    ]);
  });

  it('keeps the bindings beside what a line adds', () => {
    const { lines, logger } = recorder();
    new NodeLog(logger, bindings, false).warn('x', { detail: 1 });
    expect(lines[0]!.fields).toMatchObject(bindings);
  });

  it('skips debug lines (and their fields) when the level is above debug', () => {
    const { lines, logger } = recorder();
    let built = 0;
    new NodeLog(logger, bindings, false).debug('node started', () => ({ n: ++built }));
    expect(lines).toEqual([]);
    expect(built).toBe(0);
    expect([debugEnabled('info'), debugEnabled('debug'), debugEnabled('trace'), debugEnabled('warn')]).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });
});
