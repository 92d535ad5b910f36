import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type BatonConfig } from '../../libs/platform/src/index.js';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './dev-auth.js';

export interface TestYamlOptions {
  issuer: string;
  allowedHosts?: string[];
  audienceOrigins?: Record<string, string[]>;
  escalationTtlSeconds?: number;
  extra?: Record<string, unknown>;
}

/** Writes a baton.yaml trusting the given dev authorization server; returns its path. */
export function writeBatonYaml(options: TestYamlOptions): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
  const path = join(dir, 'baton.yaml');
  writeFileSync(
    path,
    stringify({
      api: { audience: 'baton-api' },
      trustedIssuers: [{ issuer: options.issuer }],
      exchangeProfiles: {
        corp: {
          issuer: options.issuer,
          clientId: TEST_CLIENT_ID,
          clientAuth: 'client_secret_basic',
          clientSecretEnv: 'CORP_CLIENT_SECRET',
          expirySkewSeconds: 5,
        },
      },
      http: {
        allowedHosts: options.allowedHosts ?? ['127.0.0.1', 'localhost', '*.example.com'],
        // The tests' resource servers listen on loopback: bind every audience there (SPEC §16).
        audienceOrigins: options.audienceOrigins ?? { '*': ['http://127.0.0.1', 'http://localhost'] },
      },
      escalationTtlSeconds: options.escalationTtlSeconds ?? 86400,
      ...options.extra,
    }),
  );
  return path;
}

/** The env a Baton process under test gets: the run's database and prefix (global setup), and the yaml. */
export function testEnv(configPath: string, overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    BATON_CONFIG: configPath,
    CORP_CLIENT_SECRET: TEST_CLIENT_SECRET,
    PORT: '0',
    WORKER_PORT: '0',
    ...overrides,
  };
}

export function testConfig(options: TestYamlOptions, overrides: Record<string, string> = {}): BatonConfig {
  return loadConfig(testEnv(writeBatonYaml(options), overrides));
}
