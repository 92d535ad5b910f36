import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureDatabaseExists } from '../libs/platform/src/database/database.js';
import { PrivatePostgres } from './support/private-postgres.js';

const DEV_AS = 'dist/tools/dev-auth-server/main.js';

/** Runs the built dev authorization server and resolves with its exit code and output, or 'listening'. */
function runDevAs(
  env: Record<string, string>,
): Promise<{ outcome: 'exited' | 'listening'; code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DEV_AS], {
      env: { PATH: process.env.PATH ?? '', DEV_AS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening')) {
        child.kill('SIGTERM');
        resolve({ outcome: 'listening', code: null, output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolve({ outcome: 'exited', code, output }));
  });
}

function hasDockerCompose(): boolean {
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}

describe('issue 10 item 13: docker compose is not a backdoor', () => {
  it('item 13: the dev authorization server refuses dev mode when NODE_ENV=production, and starts without it', async () => {
    const refused = await runDevAs({ NODE_ENV: 'production', DEV_AS_DEV_MODE: 'true' });
    expect(refused.outcome).toBe('exited');
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('refused when NODE_ENV=production');
    expect((await runDevAs({ NODE_ENV: 'production' })).outcome).toBe('listening');
    expect((await runDevAs({ NODE_ENV: 'development', DEV_AS_DEV_MODE: 'true' })).outcome).toBe('listening');
  });

  it('item 13: compose publishes on 127.0.0.1 only, gives no secret a default, keeps Postgres on a named volume and restarts services', () => {
    const text = readFileSync('docker-compose.yml', 'utf8');
    const compose = parse(text) as {
      services: Record<
        string,
        { ports?: string[]; restart?: string; volumes?: string[]; environment?: Record<string, string> }
      >;
      volumes?: Record<string, unknown>;
    };
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? [])
        expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
      expect({ name, restart: service.restart }).toEqual({ name, restart: 'unless-stopped' });
    }
    for (const secret of ['BATON_ENCRYPTION_KEY', 'CORP_CLIENT_SECRET', 'POSTGRES_PASSWORD']) {
      expect(text).toContain(`\${${secret}:?`);
      expect(text).not.toMatch(new RegExp(`\\$\\{${secret}:-`));
    }
    expect(compose.services.postgres!.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(compose.volumes).toHaveProperty('pgdata');
    const example = readFileSync('.env.example', 'utf8');
    for (const secret of ['BATON_ENCRYPTION_KEY', 'CORP_CLIENT_SECRET', 'POSTGRES_PASSWORD'])
      expect(example).toMatch(new RegExp(`^${secret}=$`, 'm'));
  });

  (hasDockerCompose() ? it : it.skip)(
    'item 13: docker-compose config refuses to run without the secrets and accepts the file with them',
    () => {
      // A copy in a directory of its own, so a developer's .env next to the real file is not read.
      const dir = mkdtempSync(join(tmpdir(), 'baton-compose-'));
      copyFileSync('docker-compose.yml', join(dir, 'docker-compose.yml'));
      const bare = spawnSync('docker-compose', ['config'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      });
      expect(bare.status).not.toBe(0);
      expect(bare.stderr).toMatch(/BATON_ENCRYPTION_KEY|POSTGRES_PASSWORD|CORP_CLIENT_SECRET/);
      const env = {
        PATH: process.env.PATH ?? '',
        BATON_ENCRYPTION_KEY: 'k',
        CORP_CLIENT_SECRET: 's',
        POSTGRES_PASSWORD: 'p',
      };
      const full = execFileSync('docker-compose', ['config'], { cwd: dir, env, encoding: 'utf8' });
      expect(full).toContain('127.0.0.1');
    },
  );

  it('item 13: an api and a worker creating the database together leave no ERROR in the Postgres log', async () => {
    const pg = await PrivatePostgres.start();
    try {
      await Promise.all(Array.from({ length: 6 }, () => ensureDatabaseExists(pg.url)));
      expect(pg.log()).not.toMatch(/ERROR/);
    } finally {
      pg.close();
    }
  });
});
