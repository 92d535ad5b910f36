import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  allowInsecureRequests,
  ClientError,
  ClientSecretBasic,
  Configuration,
  genericGrantRequest,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client';
import { classifyExchangeError, exchangeErrorLabel, type ExchangeFailure } from './exchange-failure.js';

const NOW = Date.UTC(2026, 10, 2, 12, 0, 0);
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * The errors here are the ones openid-client 6 really throws: each case makes a real
 * genericGrantRequest against a local token endpoint that answers as the case says.
 */
describe('classifyExchangeError with real openid-client failures', () => {
  let server: Server;
  let issuer: string;
  let answer: (res: ServerResponse) => void = (res) => res.end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });

  async function failureWhen(
    respond: (res: ServerResponse) => void,
    tokenEndpoint = `${issuer}/token`,
  ): Promise<ExchangeFailure> {
    answer = respond;
    const config = new Configuration(
      { issuer, token_endpoint: tokenEndpoint },
      'baton-worker',
      undefined,
      ClientSecretBasic('s3cret'),
    );
    allowInsecureRequests(config);
    config.timeout = 0.3;
    try {
      await genericGrantRequest(config, TOKEN_EXCHANGE, {
        subject_token: 'subject-token',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        scope: 'expenses:read',
      });
    } catch (err) {
      return classifyExchangeError(err, NOW);
    }
    throw new Error('expected the exchange to fail');
  }

  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (res: ServerResponse) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  const html =
    (status: number, headers: Record<string, string> = {}) =>
    (res: ServerResponse) =>
      res.writeHead(status, { 'content-type': 'text/html', ...headers }).end('<html>oops</html>');

  it.each(['invalid_grant', 'invalid_request'])('%s → revoked', async (error) => {
    expect(await failureWhen(json(400, { error, error_description: 'grant is gone' }))).toEqual({
      kind: 'revoked',
      code: error,
      status: 400,
      description: 'grant is gone',
    });
  });

  it.each(['consent_required', 'interaction_required', 'invalid_scope', 'invalid_target'])(
    '%s → consent_required',
    async (error) => {
      expect(await failureWhen(json(400, { error }))).toMatchObject({
        kind: 'consent_required',
        code: error,
        status: 400,
      });
    },
  );

  it.each(['invalid_client', 'unauthorized_client', 'unsupported_grant_type'])(
    '%s → fatal, described as misconfiguration',
    async (error) => {
      const failure = await failureWhen(json(400, { error }));
      expect(failure).toMatchObject({ kind: 'fatal', code: error, status: 400 });
      expect(failure.description).toMatch(/^misconfiguration: /);
    },
  );

  it('a WWW-Authenticate challenge (bad client secret) → fatal misconfiguration', async () => {
    const failure = await failureWhen(
      json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="as", error="invalid_client"' }),
    );
    expect(failure).toMatchObject({ kind: 'fatal', code: 'invalid_client', status: 401 });
    expect(failure.description).toMatch(/^misconfiguration: /);
  });

  it('5xx, even with a JSON error body → transient, with Retry-After seconds', async () => {
    expect(await failureWhen(json(500, { error: 'server_error' }))).toMatchObject({
      kind: 'transient',
      code: 'http_500',
      status: 500,
    });
    expect(await failureWhen(json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '7' }))).toMatchObject({
      kind: 'transient',
      status: 503,
      retryAfterMs: 7000,
    });
    expect(await failureWhen(html(502))).toMatchObject({ kind: 'transient', status: 502 });
  });

  it('429 with JSON or HTML → transient, with Retry-After as an HTTP-date', async () => {
    const inHalfAMinute = new Date(NOW + 30_000).toUTCString();
    expect(await failureWhen(json(429, { error: 'slow_down' }, { 'retry-after': inHalfAMinute }))).toMatchObject({
      kind: 'transient',
      status: 429,
      retryAfterMs: 30_000,
    });
    expect(await failureWhen(html(429, { 'retry-after': '2' }))).toMatchObject({
      kind: 'transient',
      status: 429,
      retryAfterMs: 2000,
    });
  });

  it('a timeout → transient', async () => {
    expect(await failureWhen(() => undefined)).toMatchObject({ kind: 'transient', code: 'timeout' });
  });

  it('a refused connection → transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await failureWhen(() => undefined, `http://127.0.0.1:${port}/token`);
    expect(refused).toMatchObject({ kind: 'transient', code: 'network_error' });
    expect(refused.description).toContain('ECONNREFUSED');
  });

  it('a 4xx without an OAuth error (wrong token endpoint) → fatal misconfiguration', async () => {
    const failure = await failureWhen(html(404));
    expect(failure).toMatchObject({ kind: 'fatal', code: 'http_404', status: 404 });
    expect(failure.description).toMatch(/^misconfiguration: /);
  });

  it('an unknown OAuth error → fatal, whatever its name', async () => {
    for (const error of ['vendor_specific', 'constructor', '__proto__']) {
      const failure = await failureWhen(json(400, { error }));
      expect(failure).toMatchObject({ kind: 'fatal', code: error });
      expect(failure.description).toBeUndefined();
    }
  });

  it('a 200 that is not a token response → fatal', async () => {
    expect(await failureWhen(json(200, { hello: 'world' }))).toMatchObject({
      kind: 'fatal',
      code: 'OAUTH_INVALID_RESPONSE',
    });
  });
});

describe('classifyExchangeError with constructed errors', () => {
  it('uses the Retry-After of a WWW-Authenticate answer that is a 503', () => {
    const err = new WWWAuthenticateChallengeError('challenge', {
      cause: [],
      response: new Response(null, { status: 503, headers: { 'retry-after': '3' } }),
    });
    expect(classifyExchangeError(err, NOW)).toMatchObject({ kind: 'transient', status: 503, retryAfterMs: 3000 });
  });

  it('treats temporarily_unavailable in a 400 body as transient', () => {
    const err = new ResponseBodyError('body', {
      cause: { error: 'temporarily_unavailable' },
      response: new Response(null, { status: 400 }),
    });
    expect(classifyExchangeError(err, NOW)).toMatchObject({ kind: 'transient', code: 'temporarily_unavailable' });
  });

  it('recognises the network failures fetch and openid-client produce', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(classifyExchangeError(new TypeError('fetch failed', { cause: refused }))).toMatchObject({
      kind: 'transient',
      code: 'network_error',
    });
    expect(classifyExchangeError(new TypeError('fetch failed', { cause: socket }))).toMatchObject({
      kind: 'transient',
    });
    expect(classifyExchangeError(new TypeError('fetch failed'))).toMatchObject({ kind: 'transient' });
    expect(classifyExchangeError(new DOMException('timed out', 'TimeoutError'))).toMatchObject({
      kind: 'transient',
      code: 'timeout',
    });
    expect(classifyExchangeError(new DOMException('aborted', 'AbortError'))).toMatchObject({ kind: 'transient' });
    const wrapped = new ClientError('operation aborted', {
      cause: new DOMException('x', 'AbortError'),
      code: 'OAUTH_ABORT',
    } as ErrorOptions);
    expect(classifyExchangeError(wrapped)).toMatchObject({ kind: 'transient', code: 'aborted' });
    const somethingWentWrong = new ClientError('something went wrong', { cause: refused });
    expect(classifyExchangeError(somethingWentWrong)).toMatchObject({ kind: 'transient', code: 'network_error' });
  });

  it('refuses plain http without allowInsecureRequests as a misconfiguration', () => {
    const err = new ClientError('only requests to HTTPS are allowed', {
      code: 'OAUTH_HTTP_REQUEST_FORBIDDEN',
    } as ErrorOptions);
    expect(classifyExchangeError(err)).toMatchObject({ kind: 'fatal', code: 'OAUTH_HTTP_REQUEST_FORBIDDEN' });
  });

  it('treats anything unknown as fatal', () => {
    for (const err of [new Error('boom'), new TypeError('x is not a function'), 'a string', null, undefined, 42]) {
      expect(classifyExchangeError(err)).toMatchObject({ kind: 'fatal', code: 'unexpected_error' });
    }
    expect(classifyExchangeError(new Error('boom')).description).toBe('Error: boom');
  });
});

describe('exchangeErrorLabel (the metric label of a failure)', () => {
  it.each([
    ['invalid_grant', 'invalid_grant'],
    ['invalid_request', 'invalid_request'],
    ['consent_required', 'consent_required'],
    ['invalid_client', 'invalid_client'],
    ['temporarily_unavailable', 'temporarily_unavailable'],
    ['access_denied', 'access_denied'],
  ])('keeps the known OAuth error %s', (error, label) => {
    expect(exchangeErrorLabel(error)).toBe(label);
  });

  it('closes the vocabulary: a server-chosen error is other, no OAuth answer is none', () => {
    expect(exchangeErrorLabel('user 42 is not allowed')).toBe('other');
    expect(exchangeErrorLabel('constructor')).toBe('other');
    expect(exchangeErrorLabel(undefined)).toBe('none');
  });
});
