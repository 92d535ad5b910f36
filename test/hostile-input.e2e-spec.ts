import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, startApi, type RunningApi } from './support/api.js';
import { testConfig } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';

// SPEC §7: no input ever produces a 500. Throws odd input at every route and checks for a 4xx
// problem+json answer.
describe('hostile input never yields a 500', () => {
  let auth: DevAuth;
  let api: RunningApi;
  let token: string;

  beforeAll(async () => {
    auth = await DevAuth.start();
    api = await startApi(testConfig({ issuer: auth.issuer }));
    token = await auth.mintToken('fuzz', [
      'baton:workflows:write',
      'baton:runs:read_all',
      'baton:audit:read',
      'baton:escalations:resolve',
    ]);
  });
  afterAll(async () => {
    await api?.close();
    await auth?.close();
  });

  const paths = [
    '/v1/workflows/%ZZ',
    '/v1/workflows/%00',
    '/v1/workflows/' + 'a'.repeat(5000),
    '/v1/workflows/x/versions/99999999999999999999',
    '/v1/workflows/x/versions/-1',
    '/v1/workflows?limit=1e3',
    '/v1/workflows?limit[]=1',
    '/v1/workflows?cursor[a]=b',
    '/v1/runs/%ZZ',
    '/v1/runs/00000000-0000-0000-0000-000000000000',
    '/v1/runs?status[]=running',
    '/v1/runs?cursor=' + Buffer.from('["x","y"]').toString('base64url'),
    '/v1/runs/00000000-0000-0000-0000-000000000000/audit?cursor=' + Buffer.from('["abc"]').toString('base64url'),
    '/v1/escalations?runId=nope',
    '/v1/escalations/%ZZ',
    '/v1/escalations?cursor=' + Buffer.from('["not-a-date","not-a-uuid"]').toString('base64url'),
  ];

  it.each(paths)('GET %s', async (path) => {
    const response = await call(`${api.url}${path}`, { token });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.contentType).toContain('application/problem+json');
  });

  const bodies: [string, string, string][] = [
    ['/v1/workflows', 'POST', 'null'],
    ['/v1/workflows', 'POST', '"text"'],
    ['/v1/workflows', 'POST', '{"name":"deep","nodes":' + '['.repeat(2000) + ']'.repeat(2000) + '}'],
    ['/v1/workflows', 'POST', '{"__proto__":{"polluted":true},"name":"proto","nodes":[]}'],
    [
      '/v1/workflows',
      'POST',
      '{"name":"x","nodes":[{"id":"a","type":"http","request":{"method":"GET","url":"http://[::1"}}]}',
    ],
    ['/v1/workflows/nope/runs', 'POST', '{"input":{"a":1},"version":"1"}'],
    ['/v1/workflows/nope/runs', 'POST', '[]'],
    ['/v1/runs/00000000-0000-0000-0000-000000000000/cancel', 'POST', '{}'],
    ['/v1/escalations/00000000-0000-0000-0000-000000000000/resolve', 'POST', '{"action":"approve"}'],
    ['/v1/escalations/00000000-0000-0000-0000-000000000000/resolve', 'POST', '{"action":7}'],
  ];

  it.each(bodies)('%s %s %#', async (path, method, rawBody) => {
    const response = await call(`${api.url}${path}`, { token, method, rawBody });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.contentType).toContain('application/problem+json');
  });

  it('answers an unknown route and a wrong method with 404 and 405 problem+json', async () => {
    for (const [path, method, status] of [
      ['/v2/nothing', 'GET', 404],
      ['/v1/workflows', 'DELETE', 405],
    ] as const) {
      const response = await call(`${api.url}${path}`, { token, method });
      expect(response.status).toBe(status); // issue 10 item 12: a known path with another method is 405
      expect(response.contentType).toContain('application/problem+json');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers a wrong content type with 415 (issue 10 item 12), not 500', async () => {
    const response = await call(`${api.url}/v1/workflows`, {
      token,
      method: 'POST',
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
  });
});
