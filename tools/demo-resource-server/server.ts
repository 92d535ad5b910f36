import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessDenied, AccessTokenVerifier, type VerifiedAccess } from './access-token-verifier.js';
import type { ResourceServerOptions } from './config.js';
import { ExpenseReports } from './expense-reports.js';

/** One line per request: what the server saw and answered. Never a token. */
export interface RequestLogLine {
  msg: 'request';
  method: string;
  path: string;
  status: number;
  requiredScope?: string;
  sub?: string;
  aud?: string | string[];
  scope?: string;
  act?: unknown;
  idempotencyKey?: string;
  refused?: string;
}

export type RequestLogger = (line: RequestLogLine) => void;

export interface ExpensesResourceServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The scopes each route needs. */
export const ROUTE_SCOPES = { readReport: 'expenses:read', submitReport: 'expenses:write' } as const;

const MAX_BODY_BYTES = 64 * 1024;

/**
 * A small "expenses" API protected the way Baton's downstream services are: every route but
 * /health needs a JWT access token from the trusted issuer, for this audience, with the route's scope.
 *
 * - `GET /reports/:id` (expenses:read) → the report
 * - `GET /reports/:id/receipt` (expenses:read) → the receipt on file (the demo's receipts agent)
 * - `POST /reports/:id/submit` (expenses:write), body `{total}` → the submission (idempotent per `Idempotency-Key`)
 * - `GET /health` → `{status: "ok"}`
 */
export async function startExpensesResourceServer(
  options: ResourceServerOptions,
  log: RequestLogger,
): Promise<ExpensesResourceServer> {
  const verifier = new AccessTokenVerifier(options.issuer, options.jwksUrl, options.audience);
  const reports = new ExpenseReports();

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });

    const read = /^\/reports\/([^/]+)$/.exec(path);
    const receipt = /^\/reports\/([^/]+)\/receipt$/.exec(path);
    const submit = /^\/reports\/([^/]+)\/submit$/.exec(path);
    const route =
      method === 'GET' && read
        ? { id: read[1]!, scope: ROUTE_SCOPES.readReport, receipt: false }
        : method === 'GET' && receipt
          ? { id: receipt[1]!, scope: ROUTE_SCOPES.readReport, receipt: true }
          : method === 'POST' && submit
            ? { id: submit[1]!, scope: ROUTE_SCOPES.submitReport, receipt: false }
            : undefined;
    if (!route) {
      log({ msg: 'request', method, path, status: 404 });
      return sendJson(res, 404, { error: 'not_found' });
    }

    let access: VerifiedAccess;
    try {
      access = await verifier.verify(req.headers.authorization, route.scope);
    } catch (err) {
      if (!(err instanceof AccessDenied)) throw err;
      log({
        msg: 'request',
        method,
        path,
        status: err.status,
        requiredScope: route.scope,
        ...seen(err.access),
        refused: `${err.error}: ${err.message}`,
      });
      const challenge =
        err.status === 403
          ? `Bearer error="insufficient_scope", scope="${route.scope}"`
          : `Bearer error="${err.error}"`;
      return sendJson(
        res,
        err.status,
        { error: err.error, error_description: err.message },
        err.status === 503 ? {} : { 'www-authenticate': challenge },
      );
    }

    const reportId = decodeURIComponent(route.id);
    const idempotencyKey = headerValue(req.headers['idempotency-key']);
    let status: number;
    let body: unknown;
    if (route.receipt) {
      const found = reports.receipt(reportId);
      [status, body] = found ? [200, found] : [404, { error: 'not_found', error_description: `no report ${reportId}` }];
    } else if (route.scope === ROUTE_SCOPES.readReport) {
      const report = reports.find(reportId);
      [status, body] = report
        ? [200, report]
        : [404, { error: 'not_found', error_description: `no report ${reportId}` }];
    } else {
      const input = await readJson(req);
      const total = typeof input === 'object' && input !== null ? (input as { total?: unknown }).total : undefined;
      const result = reports.submit(reportId, total, idempotencyKey);
      [status, body] = result
        ? [200, { ...result.submission, replayed: result.replayed }]
        : [404, { error: 'not_found', error_description: `no report ${reportId}` }];
    }
    log({
      msg: 'request',
      method,
      path,
      status,
      requiredScope: route.scope,
      ...seen(access),
      ...(idempotencyKey && { idempotencyKey }),
    });
    sendJson(res, status, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, close: () => closeServer(server) };
}

function seen(access: VerifiedAccess | undefined): Partial<RequestLogLine> {
  if (!access) return {};
  return { sub: access.sub, aud: access.aud, scope: access.scopes.join(' '), act: access.act };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  server.closeAllConnections();
  return closed;
}
