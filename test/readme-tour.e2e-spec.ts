import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isolatedEnv } from './support/isolation.js';
import { freePort, REPO_ROOT, spawnBuilt, type SpawnedProcess } from './support/processes.js';
import { eventually } from './support/waiting.js';

/** One step of the README's tour: a bash block and, when the README shows one, its expected output. */
interface TourStep {
  script: string;
  expected?: unknown[];
}

/** The fenced blocks of the README's "A five-minute tour" section, in order. */
function readTour(): TourStep[] {
  const readme = readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## A five-minute tour');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```(bash|json)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  const steps: TourStep[] = [];
  for (const block of blocks) {
    if (block.lang === 'bash') steps.push({ script: block.body });
    else steps.at(-1)!.expected = jsonLines(block.body);
  }
  return steps;
}

function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

// Runs the README's curl tour against the stack `npm run demo` leaves running, exactly as a
// newcomer would in a second terminal, and holds every output the README shows to what happens.
describe('the README tour', () => {
  let demo: SpawnedProcess;
  const ports = { api: 0, worker: 0, devAs: 0, resource: 0 };

  beforeAll(async () => {
    const taken = new Set<number>();
    while (taken.size < 4) taken.add(await freePort());
    [ports.api, ports.worker, ports.devAs, ports.resource] = [...taken] as [number, number, number, number];
    const env: Record<string, string | undefined> = { ...process.env, ...isolatedEnv(), NODE_OPTIONS: undefined };
    Object.assign(env, {
      PORT: String(ports.api),
      WORKER_PORT: String(ports.worker),
      DEV_AS_PORT: String(ports.devAs),
      DEMO_RESOURCE_PORT: String(ports.resource),
    });
    demo = spawnBuilt('dist/tools/demo/main.js', env);
    const output = await eventually(
      async () => demo.output(),
      (o) => o.includes('Press Ctrl-C') || demo.child.exitCode !== null,
      90000,
      250,
    );
    if (!output.includes('Press Ctrl-C')) throw new Error(`the demo did not come up:\n${output}`);
  }, 120000);

  afterAll(async () => {
    if (demo) expect(await demo.stop('SIGINT')).toBe(0);
  }, 30000);

  it('every block runs and prints what the README shows', () => {
    const steps = readTour();
    expect(steps.length).toBeGreaterThanOrEqual(5);
    const marker = (i: number) => `@@tour-step-${i}@@`;
    const script = ['set -euo pipefail', ...steps.flatMap((s, i) => [`echo '${marker(i)}'`, s.script])].join('\n');
    const result = spawnSync('bash', ['--noprofile', '--norc', '-c', script], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        API: `http://127.0.0.1:${ports.api}`,
        AS: `http://127.0.0.1:${ports.devAs}`,
        EXPENSES: `http://127.0.0.1:${ports.resource}`,
      },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const outputs = result.stdout.split(/@@tour-step-\d+@@\n/).slice(1);
    expect(outputs).toHaveLength(steps.length);
    steps.forEach((step, i) => {
      if (step.expected)
        expect({ step: i + 1, output: jsonLines(outputs[i]!) }).toEqual({ step: i + 1, output: step.expected });
    });
  }, 90000);
});
