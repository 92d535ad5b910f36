import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { writeBatonYaml, testEnv } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { closedPort, freePort, spawnBuilt, waitForStatus } from './support/processes.js';

// These spawn the built apps (npm test builds first), exactly as `npm run start:api` does.
describe('built processes', () => {
  let auth: DevAuth;
  let yamlPath: string;

  beforeAll(async () => {
    auth = await DevAuth.start();
    yamlPath = writeBatonYaml({ issuer: auth.issuer });
  });
  afterAll(() => auth?.close());

  it('refuses to start without BATON_ENCRYPTION_KEY, naming it in one line', async () => {
    const api = spawnBuilt('dist/apps/api/src/main.js', { ...testEnv(yamlPath), BATON_ENCRYPTION_KEY: undefined });
    expect(await api.exited).not.toBe(0);
    const lines = api
      .output()
      .trim()
      .split('\n')
      .filter((l) => !l.includes('oidc-provider'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^baton api: configuration error: BATON_ENCRYPTION_KEY: /);
  });

  it('refuses to start with an unknown baton.yaml key, naming it', async () => {
    const bad = yamlPath.replace(/baton\.yaml$/, 'bad.yaml');
    writeFileSync(bad, 'api:\n  audience: baton-api\nretries: 3\n');
    const worker = spawnBuilt('dist/apps/worker/src/main.js', testEnv(bad));
    expect(await worker.exited).not.toBe(0);
    expect(worker.output()).toMatch(/^baton worker: configuration error: .*bad\.yaml: retries: unknown key\n$/);
  });

  it('refuses to start when a secret env var named in baton.yaml is unset', async () => {
    const api = spawnBuilt('dist/apps/api/src/main.js', { ...testEnv(yamlPath), CORP_CLIENT_SECRET: undefined });
    expect(await api.exited).not.toBe(0);
    expect(api.output()).toContain(
      'exchangeProfiles.corp.clientSecretEnv: environment variable CORP_CLIENT_SECRET is not set',
    );
  });

  it('api /health/ready answers 200 with Postgres and Redis up', async () => {
    const port = await freePort();
    const api = spawnBuilt('dist/apps/api/src/main.js', testEnv(yamlPath, { PORT: String(port) }));
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200)).toBe(200);
      const body = await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json();
      expect(body).toMatchObject({ status: 'ok', info: { postgres: { status: 'up' }, redis: { status: 'up' } } });
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('process_cpu_seconds_total');
      const docs = (await (await fetch(`http://127.0.0.1:${port}/docs-json`)).json()) as { paths: object };
      expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/v1/workflows', '/health/ready']));
    } finally {
      expect([0, 'SIGTERM']).toContain(await api.stop()); // closes cleanly, then re-raises SIGTERM (Nest)
    }
  });

  it('api /health/ready answers 503 when REDIS_URL points at a closed port', async () => {
    const port = await freePort();
    const api = spawnBuilt(
      'dist/apps/api/src/main.js',
      testEnv(yamlPath, { PORT: String(port), REDIS_URL: `redis://127.0.0.1:${await closedPort()}` }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200)).toBe(200);
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(response.status).toBe(503);
      expect(JSON.stringify(await response.json())).toContain('redis');
    } finally {
      await api.stop();
    }
  });

  it('the worker serves /health/ready on WORKER_PORT', async () => {
    const port = await freePort();
    const worker = spawnBuilt('dist/apps/worker/src/main.js', testEnv(yamlPath, { WORKER_PORT: String(port) }));
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200)).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('app="worker"');
    } finally {
      expect([0, 'SIGTERM']).toContain(await worker.stop());
    }
  });
});
