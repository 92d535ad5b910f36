import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, startApi, type RunningApi } from './support/api.js';
import { testConfig } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { PrivatePostgres } from './support/private-postgres.js';
import { SsfTestTransmitter } from './support/ssf-transmitter.js';
import { eventually } from './support/waiting.js';
import { definition } from './support/workflows.js';

const WRITE = 'baton:workflows:write';
const ALL = ['baton:workflows:write', 'baton:runs:read_all', 'baton:audit:read', 'baton:escalations:resolve'];
const RUN_ID = '00000000-0000-4000-8000-000000000000';
const SSF_AUDIENCE = 'https://baton.test/ssf';

describe('issue 10 item 14: Postgres down answers 503 with Retry-After, never 500', () => {
  let pg: PrivatePostgres;
  let auth: DevAuth;
  let api: RunningApi;
  let token: string;
  let transmitter: SsfTestTransmitter;

  beforeAll(async () => {
    pg = await PrivatePostgres.start();
    auth = await DevAuth.start();
    transmitter = await SsfTestTransmitter.start();
    api = await startApi(
      testConfig(
        {
          issuer: auth.issuer,
          extra: { sharedSignals: { audience: SSF_AUDIENCE, transmitters: [{ issuer: transmitter.issuer }] } },
        },
        { DATABASE_URL: pg.url },
      ),
    );
    token = await auth.mintToken('ops', ALL);
    const created = await call(`${api.url}/v1/workflows`, {
      token: await auth.mintToken('ops', [WRITE]),
      body: definition('wait-here', [{ id: 'a', type: 'approval', approval: { prompt: 'p' } }]),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await api?.close();
    await auth?.close();
    await transmitter?.close();
    pg?.close();
  });

  const requests = (): Array<[string, Parameters<typeof call>[1]]> => [
    [`/v1/workflows`, { token }],
    [`/v1/workflows/wait-here`, { token }],
    [`/v1/workflows/wait-here/versions/1`, { token }],
    [
      `/v1/workflows`,
      { token, body: definition('wait-here', [{ id: 'a', type: 'approval', approval: { prompt: 'p' } }]) },
    ],
    [`/v1/workflows/wait-here/runs`, { token, body: { input: {} } }],
    [`/v1/runs`, { token }],
    [`/v1/runs/${RUN_ID}`, { token }],
    [`/v1/runs/${RUN_ID}/cancel`, { token, method: 'POST' }],
    [`/v1/runs/${RUN_ID}/audit`, { token }],
    [`/v1/runs/${RUN_ID}/audit/verify`, { token }],
    [`/v1/audit`, { token }],
    [`/v1/audit/stats?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&bucket=hour`, { token }],
    [`/v1/audit/export?format=ndjson`, { token }],
    [`/v1/escalations`, { token }],
    [`/v1/escalations/${RUN_ID}`, { token }],
    [`/v1/escalations/${RUN_ID}/resolve`, { token, body: { action: 'approve' } }],
  ];

  it('item 14: under load, stopping Postgres yields only 2xx/4xx and 503 problems with Retry-After; every endpoint answers 503 while it is down', async () => {
    const statuses: number[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const answers = await Promise.all(
          requests().map(([path, init]) => call(`${api.url}${path}`, init).catch(() => null)),
        );
        for (const answer of answers) if (answer) statuses.push(answer.status);
      }
    })();
    const until = async (count: number) => {
      while (statuses.length < count) await new Promise((done) => setTimeout(done, 20));
    };
    await until(requests().length); // a full round answered by a live Postgres
    const before = statuses.length;
    pg.stopServer(); // mid-load
    await until(before + 2 * requests().length);
    loading = false;
    await load;
    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    expect(statuses).toContain(503);

    for (const [path, init] of requests()) {
      const response = await call(`${api.url}${path}`, init);
      expect({ path, status: response.status }).toEqual({ path, status: 503 });
      expect(response.contentType).toContain('application/problem+json');
      expect(response.headers.get('retry-after')).toBe('5');
    }

    pg.startServer();
    const back = await call(`${api.url}/v1/workflows`, { token });
    expect([200, 503]).toContain(back.status); // the pool reconnects on its own
  });

  it('SPEC §10.2: a SET pushed while Postgres is down answers 503 with Retry-After, never 500; the transmitter’s retry is accepted once it is back', async () => {
    const push = async (set: string) => {
      const response = await fetch(`${api.url}/v1/ssf/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/secevent+jwt' },
        body: set,
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
    };
    // Up: accepted (the verifier has fetched the transmitter's keys, which live outside Postgres).
    expect((await push(await transmitter.set(SSF_AUDIENCE, 'alice'))).status).toBe(202);

    const set = await transmitter.set(SSF_AUDIENCE, 'bob');
    pg.stopServer();
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => push(set)));
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.retryAfter).toBe('5');
        expect(JSON.parse(answer.text)).toEqual({ err: 'temporarily_unavailable' });
      }
      // A refusal needs no database and still answers 400, not 503.
      expect((await push(await transmitter.set('https://someone-else.test', 'bob'))).status).toBe(400);
    } finally {
      pg.startServer();
    }
    const again = await eventually(
      () => push(set),
      (answer) => answer.status === 202,
      15000,
    );
    expect(again.text).toBe('');
  });
});
