import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { SetPoller } from '../libs/workflow/src/index.js';
import { RunStack } from './support/run-stack.js';
import { SsfTestTransmitter, unsignedSet } from './support/ssf-transmitter.js';
import { eventually } from './support/waiting.js';
import { startWorker } from './support/worker.js';

const AUDIENCE = 'https://baton.test/ssf';
const POLL_TOKEN = 'poll-bearer-for-tests';

/** SPEC §10.2 poll delivery (RFC 8936) with two workers: one poller, acks, setErrs, back-off. */
describe('Shared Signals poll delivery (SPEC §10.2)', () => {
  let stack: RunStack;
  let idp: SsfTestTransmitter;
  let second: INestApplication | null = null;

  beforeAll(async () => {
    idp = await SsfTestTransmitter.start();
    stack = await RunStack.start(
      {},
      {
        env: { SSF_POLL_TOKEN: POLL_TOKEN },
        extraFor: () => ({
          sharedSignals: {
            audience: AUDIENCE,
            transmitters: [
              {
                issuer: idp.issuer,
                delivery: 'poll',
                pollEndpoint: `${idp.issuer}/poll`,
                pollIntervalSeconds: 0.2,
                authorizationEnv: 'SSF_POLL_TOKEN',
              },
            ],
          },
        }),
      },
    );
    second = await startWorker(stack.config);
  });
  afterAll(async () => {
    await second?.close();
    await stack?.close();
    await idp?.close();
  });

  const pollers = () => [stack.worker, second].filter((w) => w?.get(SetPoller).isPoller);
  const received = async (jti: string) =>
    (
      await stack.db.query(
        `SELECT count(*)::int AS n FROM audit_entries WHERE operation = 'security_event.received' AND details->>'jti' = $1`,
        [jti],
      )
    ).rows[0].n;

  it('exactly one of two workers polls, with the bearer', async () => {
    await eventually(
      async () => pollers().length,
      (n) => n === 1,
      10000,
    );
    await eventually(
      async () => idp.polls.length,
      (n) => n >= 3,
      10000,
    );
    expect(pollers()).toHaveLength(1);
    expect(idp.polls.every((p) => p.authorization === `Bearer ${POLL_TOKEN}`)).toBe(true);
    expect(idp.polls[0]!.body).toMatchObject({ maxEvents: 100, returnImmediately: true });
    // Poll lag for alerting: the poller's gauge holds the time of its last answered poll.
    const { Registry } = await import('prom-client');
    const text = await pollers()[0]!.get(Registry).metrics();
    const escaped = idp.issuer.replace(/[.]/g, '\\.');
    const match = new RegExp(
      `baton_ssf_poll_last_success_timestamp_seconds\\{transmitter="${escaped}",app="worker"\\} ([0-9.e+]+)`,
    ).exec(text);
    expect(match).not.toBeNull();
    expect(Math.abs(Date.now() / 1000 - Number(match![1]))).toBeLessThan(5);
  });

  it('processes polled SETs like pushed ones, acknowledges accepted ones (duplicates too) and reports refused ones', async () => {
    const good = await idp.enqueue(await idp.set(AUDIENCE, 'poll-alice'));
    const again = await idp.set(AUDIENCE, 'poll-bob');
    const dupJti = await idp.enqueue(again);
    const forged = await idp.enqueue(await idp.set(AUDIENCE, 'poll-eve', { foreignKey: true }));
    const none = await idp.enqueue(unsignedSet({ alg: 'none' }, { iss: idp.issuer, jti: 'unsigned-1', iat: 1 }));
    await eventually(
      async () => idp.pending.size,
      (n) => n === 0,
      10000,
    );
    const acked = idp.polls.flatMap((p) => p.body.ack ?? []);
    const errs = Object.assign({}, ...idp.polls.map((p) => p.body.setErrs ?? {}));
    expect(acked).toEqual(expect.arrayContaining([good, dupJti]));
    expect(errs[forged]).toMatchObject({ err: 'invalid_key' });
    expect(errs[none]).toMatchObject({ err: 'invalid_key' });
    expect(await received(good)).toBe(1);
    // The same SET again (a transmitter that did not hear the ack): accepted, acknowledged, applied once.
    const replayed = await idp.enqueue(again);
    await eventually(
      async () => idp.pending.size,
      (n) => n === 0,
      10000,
    );
    expect(replayed).toBe(dupJti);
    expect(idp.polls.flatMap((p) => p.body.ack ?? []).filter((j) => j === dupJti)).toHaveLength(2);
    expect(await received(dupJti)).toBe(1);
  });

  it('polls again at once while moreAvailable', async () => {
    const before = idp.polls.length;
    for (let i = 0; i < 6; i++) await idp.enqueue(await idp.set(AUDIENCE, `many-${i}`));
    await eventually(
      async () => idp.pending.size,
      (n) => n === 0,
      10000,
    );
    const during = idp.polls.slice(before);
    // Three answers of two each, back to back: no interval wait between them.
    const gaps = during.slice(1, 4).map((p, i) => p.at - during[i]!.at);
    expect(Math.min(...gaps)).toBeLessThan(200);
  });

  it('backs off after transmitter errors and then goes on', async () => {
    const before = idp.polls.length;
    idp.failPolls = 3;
    const jti = await idp.enqueue(await idp.set(AUDIENCE, 'after-outage'));
    await eventually(
      async () => received(jti),
      (n) => n === 1,
      15000,
    );
    const attempts = idp.polls.slice(before, before + 4).map((p) => p.at);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
  });

  it('another worker takes over when the poller stops', async () => {
    const poller = pollers()[0]!;
    const other = poller === stack.worker ? second : stack.worker;
    if (poller === stack.worker) await stack.stopWorker();
    else {
      await second!.close();
      second = null;
    }
    await eventually(
      async () => other!.get(SetPoller).isPoller,
      (is) => is === true,
      10000,
    );
    const jti = await idp.enqueue(await idp.set(AUDIENCE, 'after-takeover'));
    await eventually(
      async () => received(jti),
      (n) => n === 1,
      10000,
    );
  });
});
