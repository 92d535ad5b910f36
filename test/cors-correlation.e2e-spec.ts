import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type RunningApi } from './support/api.js';
import { testConfig, testEnv, writeBatonYaml } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { freePort, spawnBuilt, waitForStatus } from './support/processes.js';

const DASHBOARD = 'https://dashboard.example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('CORS (api.cors.origins) and request correlation (X-Request-Id)', () => {
  let auth: DevAuth;
  let api: RunningApi;
  let closed: RunningApi;
  let token: string;

  beforeAll(async () => {
    auth = await DevAuth.start();
    api = await startApi(
      testConfig({ issuer: auth.issuer, extra: { api: { audience: 'baton-api', cors: { origins: [DASHBOARD] } } } }),
    );
    closed = await startApi(testConfig({ issuer: auth.issuer }));
    token = await auth.mintToken('cors-user', ['openid']);
  });
  afterAll(async () => {
    await api?.close();
    await closed?.close();
    await auth?.close();
  });

  const preflight = (base: string, origin: string) =>
    fetch(`${base}/v1/runs`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });

  it('answers a preflight from a listed origin, and exposes Location, WWW-Authenticate, Retry-After, X-Request-Id', async () => {
    const answer = await preflight(api.url, DASHBOARD);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(answer.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const get = await fetch(`${api.url}/v1/runs`, { headers: { origin: DASHBOARD, authorization: `Bearer ${token}` } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(get.headers.get('access-control-expose-headers')?.split(',')).toEqual([
      'Location',
      'WWW-Authenticate',
      'Retry-After',
      'X-Request-Id',
    ]);
  });

  it('gives other origins, and every origin when none is configured, no CORS headers', async () => {
    const other = await preflight(api.url, 'https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${api.url}/v1/runs`, {
      headers: { origin: 'https://evil.example.com', authorization: `Bearer ${token}` },
    });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const none = await preflight(closed.url, DASHBOARD);
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    expect(
      (await fetch(`${closed.url}/health/live`, { headers: { origin: DASHBOARD } })).headers.get(
        'access-control-allow-origin',
      ),
    ).toBeNull();
  });

  it("echoes the caller's X-Request-Id, or a new UUID per request, on every answer (errors too)", async () => {
    const mine = await fetch(`${api.url}/v1/runs`, {
      headers: { 'x-request-id': 'dash-42', authorization: `Bearer ${token}` },
    });
    expect(mine.headers.get('x-request-id')).toBe('dash-42');
    const a = (await fetch(`${api.url}/v1/runs`)).headers.get('x-request-id');
    const b = (await fetch(`${api.url}/health/live`)).headers.get('x-request-id');
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
    expect(
      (await fetch(`${api.url}/v1/runs`, { headers: { 'x-request-id': 'bad id <x>' } })).headers.get('x-request-id'),
    ).toMatch(UUID);
  });

  it("logs the request id and the user's sub on the api request line (built process)", async () => {
    const port = await freePort();
    const proc = spawnBuilt(
      'dist/apps/api/src/main.js',
      testEnv(writeBatonYaml({ issuer: auth.issuer }), { PORT: String(port), LOG_LEVEL: 'info' }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200)).toBe(200);
      const answer = await fetch(`http://127.0.0.1:${port}/v1/runs`, {
        headers: { 'x-request-id': 'log-me-7', authorization: `Bearer ${token}` },
      });
      expect(answer.status).toBe(200);
      let line: Record<string, any> | undefined;
      for (let i = 0; i < 50 && !line; i++) {
        line = proc
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
          .find((l) => l.req?.id === 'log-me-7' && l.res);
        if (!line) await new Promise((r) => setTimeout(r, 100));
      }
      expect(line).toMatchObject({
        req: { id: 'log-me-7', method: 'GET', url: '/v1/runs' },
        sub: 'cors-user',
        iss: auth.issuer,
        res: { statusCode: 200 },
      });
      expect(JSON.stringify(line)).not.toContain(token);
    } finally {
      await proc.stop();
    }
  });
});
