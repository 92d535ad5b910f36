/**
 * The demo resource server's configuration, from environment variables:
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `DEMO_RESOURCE_PORT` | 5000 | port (0 = any free port) |
 * | `DEMO_RESOURCE_HOST` | 127.0.0.1 | address to bind (`0.0.0.0` in a container) |
 * | `DEMO_ISSUER` | `http://127.0.0.1:4000` | the only issuer whose tokens are accepted (`iss`) |
 * | `DEMO_JWKS_URL` | `<DEMO_ISSUER>/jwks` | where the issuer's signing keys are fetched |
 * | `DEMO_AUDIENCE` | `https://expenses.example.com` | the `aud` every accepted token must carry |
 *
 * Throws an Error naming the variable and the problem.
 */
export interface ResourceServerOptions {
  port: number;
  host: string;
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export const EXPENSES_AUDIENCE = 'https://expenses.example.com';

export function optionsFromEnvironment(env: NodeJS.ProcessEnv): ResourceServerOptions {
  const issuer = httpUrl(env, 'DEMO_ISSUER') ?? 'http://127.0.0.1:4000';
  return {
    port: portVar(env, 'DEMO_RESOURCE_PORT', 5000),
    host: nonEmpty(env.DEMO_RESOURCE_HOST) ?? '127.0.0.1',
    issuer,
    jwksUrl: httpUrl(env, 'DEMO_JWKS_URL') ?? `${issuer.replace(/\/+$/, '')}/jwks`,
    audience: nonEmpty(env.DEMO_AUDIENCE) ?? EXPENSES_AUDIENCE,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function portVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535) throw new Error(`${name} must be a port number from 0 to 65535`);
  return value;
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  if (!/^https?:\/\//.test(raw) || !URL.canParse(raw)) throw new Error(`${name} must be an http(s) URL`);
  return raw;
}
