import { describe, expect, it } from '@jest/globals';
import { npmStartCommand, parseStartScript } from './child-process.js';

describe('parseStartScript', () => {
  it('reads environment assignments, node flags and the script', () => {
    expect(parseStartScript('MALLOC_ARENA_MAX=2 A_B=x=y node --max-semi-space-size=4 --trace-gc dist/w.js')).toEqual({
      env: { MALLOC_ARENA_MAX: '2', A_B: 'x=y' },
      nodeArgs: ['--max-semi-space-size=4', '--trace-gc'],
      script: 'dist/w.js',
    });
    expect(parseStartScript('node dist/a.js')).toEqual({ env: {}, nodeArgs: [], script: 'dist/a.js' });
  });

  it('refuses what it cannot start the same way', () => {
    expect(() => parseStartScript('nest start')).toThrow(/not a/);
    expect(() => parseStartScript('node dist/a.js --port 3')).toThrow(/one script/);
    expect(() => parseStartScript('node')).toThrow(/one script/);
  });

  it('reads the repository’s own start scripts', () => {
    expect(npmStartCommand('start:worker').script).toBe('dist/apps/worker/src/main.js');
    expect(npmStartCommand('start:api').script).toBe('dist/apps/api/src/main.js');
    expect(() => npmStartCommand('start:nothing')).toThrow(/no script/);
  });
});
