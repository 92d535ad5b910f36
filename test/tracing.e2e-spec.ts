import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tracing } from '../libs/platform/src/index.js';
import { RunStack } from './support/run-stack.js';
import { eventually } from './support/waiting.js';
import { definition, httpNode } from './support/workflows.js';

/** One span as OTLP/HTTP JSON carries it, with the service that sent it. */
interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  attributes: Record<string, unknown>;
  status?: { code?: number; message?: string };
}

/** A tiny OTLP/HTTP receiver: POST /v1/traces with the JSON protocol, spans kept in order. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly bodies: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver!: OtlpReceiver;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/v1/traces' && /json/.test(String(req.headers['content-type']))) {
          receiver.bodies.push(body);
          receiver.take(JSON.parse(body));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  private take(payload: { resourceSpans?: any[] }): void {
    for (const rs of payload.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue;
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          this.spans.push({
            service,
            name: s.name,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            kind: s.kind,
            status: s.status,
            attributes: Object.fromEntries(
              (s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value ?? {})[0]]),
            ),
          });
    }
  }

  close(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

describe('OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  let receiver: OtlpReceiver;
  let stack: RunStack;
  let token: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    stack = await RunStack.start({}, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    await stack.register(definition('traced-otel', [httpNode('call', `${stack.resource.url}/otel?t={{input.tag}}`)]));
    token = await stack.auth.mintToken('otel-user', ['expenses:read']);
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  async function flush(): Promise<void> {
    await stack.api.app.get(Tracing).flush();
    await stack.worker!.get(Tracing).flush();
  }

  async function runTraced(tag: string, headers: Record<string, string>) {
    stack.resource.on('GET', '/otel', { status: 200, body: { ok: true } });
    const started = await stack.startRun('traced-otel', token, { tag }, headers);
    expect(started.status).toBe(202);
    const run = await stack.waitForRun(started.body.id, token, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    await flush();
    const spans = await eventually(
      async () => receiver.spans.filter((s) => s.attributes['baton.run.id'] === started.body.id),
      (found) => found.length >= 2,
    );
    const call = stack.resource.requests.find((r) => r.query === `?t=${tag}`)!;
    return { runId: started.body.id as string, spans, call };
  }

  it("spans the run start, the node, its exchange and its downstream call, under the caller's traceparent", async () => {
    const { runId, call } = await runTraced('with', { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` });
    const inTrace = receiver.spans.filter((s) => s.traceId === TRACE);

    const start = inTrace.find((s) => s.name === 'baton.run.start')!;
    expect(start).toMatchObject({ service: 'baton-api', parentSpanId: CALLER_SPAN, kind: 2 });
    expect(start.attributes).toMatchObject({ 'baton.workflow': 'traced-otel', 'baton.run.id': runId });

    const node = inTrace.find((s) => s.name === 'baton.node' && s.attributes['baton.run.id'] === runId)!;
    expect(node).toMatchObject({ service: 'baton-worker', parentSpanId: start.spanId });
    expect(node.attributes).toMatchObject({
      'baton.node.id': 'call',
      'baton.node.type': 'http',
      'baton.node.outcome': 'succeeded',
      'baton.workflow': 'traced-otel',
    });

    const exchange = inTrace.find((s) => s.name === 'baton.token_exchange' && s.parentSpanId === node.spanId)!;
    expect(exchange).toBeDefined();
    expect(exchange.attributes).toMatchObject({
      'baton.exchange.profile': 'corp',
      'baton.exchange.target': 'https://expenses.example.com',
      'baton.exchange.cached': false,
    });

    const downstream = inTrace.find((s) => s.name === 'HTTP GET' && s.parentSpanId === node.spanId)!;
    expect(downstream).toMatchObject({ kind: 3 });
    expect(downstream.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    // The downstream call carries the call span's own context.
    expect(call.headers.traceparent).toBe(`00-${TRACE}-${downstream.spanId}-01`);

    // Four spans, one trace: nothing else was exported for this run.
    expect(
      inTrace.filter((s) => s.attributes['baton.run.id'] === runId || s.parentSpanId === node.spanId),
    ).toHaveLength(4);
  });

  it('puts no token in any span', async () => {
    await runTraced('secret', {});
    const exported = receiver.bodies.join('\n');
    const bearer = String(stack.resource.requests.find((r) => r.query === '?t=secret')!.headers.authorization);
    expect(bearer).toMatch(/^Bearer ey/);
    expect(exported).not.toContain(token);
    expect(exported).not.toContain(bearer.slice('Bearer '.length));
    expect(exported).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(exported).not.toMatch(/authorization/i);
  });

  it('starts a new trace for a run started without a traceparent, and its downstream call continues it', async () => {
    const { spans, call } = await runTraced('fresh', {});
    const start = receiver.spans.find(
      (s) => s.name === 'baton.run.start' && spans.some((n) => n.parentSpanId === s.spanId),
    )!;
    expect(start.parentSpanId).toBe('');
    expect(start.traceId).not.toBe(TRACE);
    const downstream = receiver.spans.find(
      (s) => s.name === 'HTTP GET' && s.parentSpanId === spans.find((n) => n.name === 'baton.node')!.spanId,
    )!;
    expect(call.headers.traceparent).toBe(`00-${start.traceId}-${downstream.spanId}-01`);
  });
});

describe('OpenTelemetry traces (no endpoint)', () => {
  let stack: RunStack;
  afterAll(() => stack?.close());

  it('starts no SDK in either process', async () => {
    stack = await RunStack.start();
    expect(stack.api.app.get(Tracing)).toBe(Tracing.disabled);
    expect(stack.worker!.get(Tracing)).toBe(Tracing.disabled);
  });
});
