import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, writeBatonYaml } from './support/config.js';
import { DevAuth } from './support/dev-auth.js';
import { isolatedEnv } from './support/isolation.js';
import { freePort, spawnBuilt, waitForStatus, type SpawnedProcess } from './support/processes.js';
import { SsfTestTransmitter } from './support/ssf-transmitter.js';
import { eventually } from './support/waiting.js';

const PUSH_TOKEN = 'push-stream-secret-for-tests';
const POLL_TOKEN = 'poll-stream-secret-for-tests';
const BASE = 'https://schemas.openid.net/secevent/';
/** SPEC §10.3's revoking types and token-claims-change, written out here so the test can fail. */
const EVENTS_REQUESTED = [
  'caep/event-type/session-revoked',
  'caep/event-type/credential-change',
  'risc/event-type/account-disabled',
  'risc/event-type/account-purged',
  'risc/event-type/credential-compromise',
  'risc/event-type/sessions-revoked',
  'risc/event-type/account-credential-change-required',
  'oauth/event-type/tokens-revoked',
  'oauth/event-type/token-revoked',
  'caep/event-type/token-claims-change',
].map((t) => BASE + t);

// The api runs as a real process (the built tree), so its start, its readiness and every line it
// logs are what an operator sees; the transmitters are loopback servers with a stream store.
describe('managed Shared Signals streams (SPEC §10.1)', () => {
  let auth: DevAuth;
  const running: SpawnedProcess[] = [];

  beforeAll(async () => {
    auth = await DevAuth.start();
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });
  afterAll(async () => {
    await auth?.close();
  });

  function envFor(sharedSignals: Record<string, unknown>, issuer = auth.issuer): Record<string, string> {
    return testEnv(writeBatonYaml({ issuer, extra: { sharedSignals } }), {
      ...isolatedEnv(),
      SSF_PUSH_TOKEN: PUSH_TOKEN,
      SSF_POLL_TOKEN: POLL_TOKEN,
      LOG_LEVEL: 'debug',
    });
  }

  async function startApi(env: Record<string, string>, port?: number): Promise<SpawnedProcess> {
    port ??= await freePort();
    const api = spawnBuilt('dist/apps/api/src/main.js', { ...env, PORT: String(port) });
    running.push(api);
    expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 30000)).toBe(200);
    return api;
  }

  const pushed = (t: SsfTestTransmitter) => ({
    issuer: t.issuer,
    authorizationEnv: 'SSF_PUSH_TOKEN',
    manageStream: true,
    delivery: 'push',
  });
  const polled = (t: SsfTestTransmitter) => ({
    issuer: t.issuer,
    authorizationEnv: 'SSF_POLL_TOKEN',
    manageStream: true,
    delivery: 'poll',
    pollEndpoint: `${t.issuer}/poll`,
  });
  const methods = (t: SsfTestTransmitter) => t.streams.requests.map((r) => r.method);

  describe('a push and a poll transmitter', () => {
    let push: SsfTestTransmitter;
    let poll: SsfTestTransmitter;
    let env: Record<string, string>;
    const endpointUrl = 'https://baton.test/v1/ssf/events';

    beforeAll(async () => {
      push = await SsfTestTransmitter.start({ streamBearer: PUSH_TOKEN });
      poll = await SsfTestTransmitter.start({ streamBearer: POLL_TOKEN });
      env = envFor({ audience: 'baton-ssf', endpointUrl, transmitters: [pushed(push), polled(poll)] });
    });
    afterAll(async () => {
      await push?.close();
      await poll?.close();
    });

    it('at start, reads the streams and creates one each: Baton’s delivery, the revoking events, the bearer', async () => {
      const api = await startApi(env);
      await eventually(
        async () => [methods(push), methods(poll)],
        ([a, b]) => a!.includes('POST') && b!.includes('POST'),
      );
      expect(methods(push)).toEqual(['GET', 'POST']);
      expect(methods(poll)).toEqual(['GET', 'POST']);
      const [pushGet, pushPost] = push.streams.requests;
      expect(pushGet!.authorization).toBe(`Bearer ${PUSH_TOKEN}`);
      expect(pushPost).toEqual({
        method: 'POST',
        authorization: `Bearer ${PUSH_TOKEN}`,
        body: {
          delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: endpointUrl },
          events_requested: EVENTS_REQUESTED,
          description: expect.any(String),
        },
      });
      expect(poll.streams.requests[1]).toEqual({
        method: 'POST',
        authorization: `Bearer ${POLL_TOKEN}`,
        body: {
          delivery: { method: 'urn:ietf:rfc:8936' },
          events_requested: EVENTS_REQUESTED,
          description: expect.any(String),
        },
      });
      expect(push.streams.streams.size).toBe(1);
      expect(poll.streams.streams.size).toBe(1);
      await eventually(
        async () => api.output(),
        (out) => out.includes(`stream created at ${push.issuer}`) && out.includes(`stream created at ${poll.issuer}`),
      );
      expect(api.output()).not.toContain(PUSH_TOKEN);
      expect(api.output()).not.toContain(POLL_TOKEN);
    }, 60000);

    it('a restart finds the stream and PATCHes it by its stream_id: no second stream', async () => {
      const [pushStream] = [...push.streams.streams.values()];
      const [pollStream] = [...poll.streams.streams.values()];
      const seen = [push.streams.requests.length, poll.streams.requests.length];
      const api = await startApi(env);
      await eventually(
        async () => [methods(push).slice(seen[0]), methods(poll).slice(seen[1])],
        ([a, b]) => a!.includes('PATCH') && b!.includes('PATCH'),
      );
      expect(methods(push).slice(seen[0])).toEqual(['GET', 'PATCH']);
      expect(methods(poll).slice(seen[1])).toEqual(['GET', 'PATCH']);
      expect(push.streams.requests.at(-1)).toMatchObject({
        authorization: `Bearer ${PUSH_TOKEN}`,
        body: {
          stream_id: pushStream!.stream_id,
          delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: endpointUrl },
          events_requested: EVENTS_REQUESTED,
        },
      });
      expect(poll.streams.requests.at(-1)).toMatchObject({ body: { stream_id: pollStream!.stream_id } });
      expect(push.streams.streams.size).toBe(1);
      expect(poll.streams.streams.size).toBe(1);
      await eventually(
        async () => api.output(),
        (out) => out.includes(`stream updated at ${push.issuer}`),
      );
    }, 60000);
  });

  it('two replicas starting together take turns: one POST, one PATCH, one stream', async () => {
    const twin = await SsfTestTransmitter.start({ streamBearer: PUSH_TOKEN });
    try {
      const endpointUrl = 'https://baton.test/v1/ssf/events';
      const env = envFor({ audience: 'baton-ssf', endpointUrl, transmitters: [pushed(twin)] });
      // The first start migrates the database alone; then two replicas start at once.
      await startApi(env);
      for (const p of running.splice(0)) await p.stop();
      twin.streams.streams.clear();
      twin.streams.requests.length = 0;
      // Slow answers: without the lock both replicas would read "no stream" and both create one.
      twin.streams.delayMs = 1500;
      await Promise.all([startApi(env), startApi(env)]);
      await eventually(
        async () => methods(twin),
        (m) => m.length >= 4,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect([...methods(twin)].sort()).toEqual(['GET', 'GET', 'PATCH', 'POST']);
      expect(twin.streams.streams.size).toBe(1);
    } finally {
      await twin.close();
    }
  }, 90000);

  it('a refusing, an unreachable and a silent transmitter: the api is ready at once and logs warnings without the bearer', async () => {
    const refusing = await SsfTestTransmitter.start({ streamBearer: PUSH_TOKEN });
    refusing.streams.refuseWith = 403;
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const silent = await hangingServer();
    try {
      const env = envFor({
        audience: 'baton-ssf',
        endpointUrl: 'https://baton.test/v1/ssf/events',
        transmitters: [
          pushed(refusing),
          { issuer: unreachable, authorizationEnv: 'SSF_PUSH_TOKEN', manageStream: true },
          { issuer: silent.issuer, authorizationEnv: 'SSF_PUSH_TOKEN', manageStream: true },
        ],
      });
      const api = await startApi(env);
      // Ready while the silent transmitter still holds the request open (it times out after ~5 s).
      expect(api.output()).not.toContain(`${silent.issuer} not managed`);
      const out = await eventually(
        async () => api.output(),
        (o) => o.includes(`${silent.issuer} not managed`),
        20000,
      );
      const warnings = out
        .split('\n')
        .filter((l) => l.includes('not managed'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; transmitter: string; status?: number });
      expect(warnings).toEqual([
        expect.objectContaining({ level: 40, transmitter: refusing.issuer, status: 403 }),
        expect.objectContaining({ level: 40, transmitter: unreachable }),
        expect.objectContaining({ level: 40, transmitter: silent.issuer }),
      ]);
      expect(warnings[0]!.msg).toContain('403');
      expect(warnings[2]!.msg).toContain('timed out');
      expect(refusing.streams.requests.map((r) => r.authorization)).toEqual([`Bearer ${PUSH_TOKEN}`]);
      expect(out).not.toContain(PUSH_TOKEN);
      expect(await waitForStatus(`${apiUrlOf(api)}/health/ready`, 200)).toBe(200);
    } finally {
      await refusing.close();
      await silent.close();
    }
  }, 60000);

  it('the dev authorization server as transmitter: Baton creates its push stream there, and session events reach it', async () => {
    const dev = await DevAuth.start({ ssfStreamToken: PUSH_TOKEN });
    try {
      const port = await freePort();
      const endpointUrl = `http://127.0.0.1:${port}/v1/ssf/events`;
      const env = envFor(
        {
          audience: 'baton-ssf',
          endpointUrl,
          transmitters: [{ issuer: dev.issuer, authorizationEnv: 'SSF_PUSH_TOKEN', manageStream: true }],
        },
        dev.issuer,
      );
      await startApi(env, port);
      const streams = (await eventually(
        async () =>
          (await fetch(`${dev.issuer}/ssf/stream`, { headers: { authorization: `Bearer ${PUSH_TOKEN}` } })).json(),
        (list) => Array.isArray(list) && list.length > 0,
      )) as { delivery: { endpoint_url: string }; events_delivered: string[] }[];
      expect(streams).toHaveLength(1);
      expect(streams[0]!.delivery).toEqual({ method: 'urn:ietf:rfc:8935', endpoint_url: endpointUrl });
      expect(streams[0]!.events_delivered).toEqual([`${BASE}caep/event-type/session-revoked`]);
      expect((await fetch(`${dev.issuer}/ssf/stream`)).status).toBe(401);
      const revoked = await fetch(`${dev.issuer}/admin/sessions/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'alice' }),
      });
      expect(await revoked.json()).toMatchObject({ pushed: [{ url: endpointUrl, status: 202 }] });
    } finally {
      await dev.close();
    }
  }, 60000);

  it('refuses to start with a managed push stream and no sharedSignals.endpointUrl, naming the key', async () => {
    const t = await SsfTestTransmitter.start({ streamBearer: PUSH_TOKEN });
    try {
      const env = envFor({ audience: 'baton-ssf', transmitters: [pushed(t)] });
      const api = spawnBuilt('dist/apps/api/src/main.js', { ...env, PORT: String(await freePort()) });
      running.push(api);
      expect(await api.exited).not.toBe(0);
      expect(api.output()).toContain('sharedSignals.endpointUrl');
      expect(t.streams.requests).toEqual([]);
    } finally {
      await t.close();
    }
  }, 30000);
});

function apiUrlOf(api: SpawnedProcess): string {
  const port = /listening on port (\d+)/.exec(api.output())?.[1];
  return `http://127.0.0.1:${port}`;
}

/** Accepts connections and never answers: Baton's requests to it can only time out. */
async function hangingServer(): Promise<{ issuer: string; close(): Promise<void> }> {
  const server: Server = createServer(() => {});
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}
