import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectConfig, allTransmitters, type BatonConfig, type SsfTransmitter } from '@baton/platform';
import { fetchSsfMetadata, ourStream, streamRequestBody, streamsOf, type WantedStream } from '@baton/oauth';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { request } from 'undici';
import { downstreamAgent } from '../nodes/http/downstream-agent.js';
import { RUN_REVOKING_EVENT_TYPES } from './security-event-reading.js';

/** Every api replica takes this advisory lock in turn, so stream management never runs twice at once. */
const STREAM_LOCK_KEY = 'baton:ssf-streams';
const LOCK_RETRY_MS = 250;
const LOCK_WAIT_MS = 60_000;
/** Limit of each metadata and configuration endpoint request. */
const HTTP_TIMEOUT_MS = 5000;

/** A refusal or failure of one step, said without the bearer. */
class StreamNotManaged extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * SPEC §10.1 `manageStream: true`: once the api listens, it creates or updates Baton's stream at
 * each such transmitter's `configuration_endpoint` (SSF 1.0 §8.1.1): GET the streams, PATCH the one
 * that is Baton's, else POST one. In the background (readiness does not wait on transmitters) and
 * under a Postgres advisory lock: replicas starting together take turns, and the later ones find
 * the stream and update it. A refusal is a warning naming the transmitter and the status, never a
 * failed boot, and never shows the bearer.
 *
 * HTTP is undici's `request` on the process's keep-alive agent, not openid-client's
 * `fetchProtectedResource`: that one needs an authorization server's `Configuration` and client,
 * which a transmitter's static bearer does not have, and adds DPoP and WWW-Authenticate handling
 * that these calls have no use for.
 */
@Injectable()
export class SsfStreamRegistrar implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SsfStreamRegistrar.name);
  private readonly transmitters: SsfTransmitter[];
  private readonly aborts = new AbortController();
  private task?: Promise<void>;

  constructor(
    @InjectConfig() config: BatonConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.transmitters = allTransmitters(config).filter((t) => t.manageStream);
  }

  onApplicationBootstrap(): void {
    if (this.transmitters.length === 0) return;
    // After listen: a transmitter may verify the new stream by pushing to Baton at once.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    const run = () => {
      this.task = this.manageAll().catch((error: unknown) =>
        this.logger.warn({ reason: messageOf(error) }, 'Shared Signals streams not managed'),
      );
    };
    if (!server || server.listening) run();
    else server.once('listening', run);
  }

  async onApplicationShutdown(): Promise<void> {
    this.aborts.abort();
    await this.task;
  }

  private async manageAll(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      if (!(await this.lock(runner))) {
        if (!this.aborts.signal.aborted)
          this.logger.warn(`Shared Signals streams not managed: another replica held the lock for ${LOCK_WAIT_MS} ms`);
        return;
      }
      for (const transmitter of this.transmitters) {
        if (this.aborts.signal.aborted) return;
        await this.manage(transmitter);
      }
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [STREAM_LOCK_KEY]).catch(() => {});
      await runner.release();
    }
  }

  /** Tries the lock until it is had (true), the wait is over or the api stops (false). */
  private async lock(runner: { query(sql: string, values: unknown[]): Promise<{ locked: boolean }[]> }) {
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (!this.aborts.signal.aborted && Date.now() < deadline) {
      const [row] = await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [
        STREAM_LOCK_KEY,
      ]);
      if (row?.locked) return true;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
    return false;
  }

  private async manage(transmitter: SsfTransmitter): Promise<void> {
    const wanted: WantedStream = {
      delivery: transmitter.delivery,
      ...(transmitter.endpointUrl && { endpointUrl: transmitter.endpointUrl }),
      ...(transmitter.pollEndpoint && { pollEndpoint: transmitter.pollEndpoint }),
      eventsRequested: RUN_REVOKING_EVENT_TYPES,
    };
    try {
      const metadata = await fetchSsfMetadata(transmitter, HTTP_TIMEOUT_MS);
      const endpoint = metadata.configuration_endpoint;
      if (typeof endpoint !== 'string') throw new StreamNotManaged('the SSF metadata has no configuration_endpoint');
      const listed = await this.call(transmitter, 'GET', endpoint);
      const existing = ourStream(streamsOf(listed.body), wanted);
      const answer = existing
        ? await this.call(transmitter, 'PATCH', endpoint, streamRequestBody(wanted, existing.stream_id))
        : await this.call(transmitter, 'POST', endpoint, streamRequestBody(wanted));
      const [stream] = streamsOf(answer.body);
      const streamId = stream?.stream_id ?? existing?.stream_id;
      this.logger.log(
        { transmitter: transmitter.issuer, streamId, status: answer.status },
        `Shared Signals stream ${existing ? 'updated' : 'created'} at ${transmitter.issuer}`,
      );
      const pollUrl = stream?.delivery?.endpoint_url;
      if (transmitter.delivery === 'poll' && typeof pollUrl === 'string' && pollUrl !== transmitter.pollEndpoint)
        this.logger.warn(
          { transmitter: transmitter.issuer, streamId, pollEndpoint: pollUrl },
          `the Shared Signals stream at ${transmitter.issuer} is polled at ${pollUrl}, not at the configured pollEndpoint`,
        );
    } catch (error) {
      if (this.aborts.signal.aborted) return;
      const status = error instanceof StreamNotManaged ? error.status : undefined;
      this.logger.warn(
        { transmitter: transmitter.issuer, ...(status !== undefined && { status }), reason: messageOf(error) },
        `Shared Signals stream at ${transmitter.issuer} not managed: ${messageOf(error)}`,
      );
    }
  }

  /** One configuration endpoint request; a 2xx answers its JSON body (none on 204), anything else throws. */
  private async call(
    transmitter: SsfTransmitter,
    method: 'GET' | 'POST' | 'PATCH',
    endpoint: string,
    body?: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    let response;
    try {
      response = await request(endpoint, {
        method,
        dispatcher: downstreamAgent,
        headers: {
          accept: 'application/json',
          ...(body && { 'content-type': 'application/json' }),
          ...(transmitter.authorization && { authorization: `Bearer ${transmitter.authorization}` }),
        },
        ...(body && { body: JSON.stringify(body) }),
        headersTimeout: HTTP_TIMEOUT_MS,
        bodyTimeout: HTTP_TIMEOUT_MS,
        signal: AbortSignal.any([AbortSignal.timeout(HTTP_TIMEOUT_MS), this.aborts.signal]),
      });
    } catch (error) {
      throw new StreamNotManaged(`${method} ${endpoint} failed: ${messageOf(error)}`);
    }
    const { statusCode } = response;
    // SSF 1.0 answers a GET with no stream yet either `[]` or 404.
    if (method === 'GET' && statusCode === 404) {
      await response.body.dump();
      return { status: statusCode, body: undefined };
    }
    if (statusCode < 200 || statusCode >= 300) {
      await response.body.dump();
      throw new StreamNotManaged(`the configuration endpoint answered ${statusCode} to ${method}`, statusCode);
    }
    const text = await response.body.text();
    try {
      return { status: statusCode, body: text ? JSON.parse(text) : undefined };
    } catch {
      throw new StreamNotManaged(`the configuration endpoint answered ${statusCode} to ${method} without JSON`);
    }
  }
}

/** What went wrong, for the log: undici's and fetch's messages name hosts and codes, never headers. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return error.message + cause;
}
