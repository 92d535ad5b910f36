import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** A W3C parent as the trace-context parser gives it (the same shape as the workflow lib's TraceParent). */
export interface SpanParent {
  traceId: string;
  parentId: string;
  flags: string;
}

export type SpanOutcome = { ok: true } | { ok: false; message: string };

/**
 * One span of Baton's, or nothing when tracing is off. Attributes are closed facts (ids, names,
 * outcomes, error codes), never a token, a header or a request body.
 */
export interface TraceSpan {
  /** This span's own context as a `traceparent` header value; null when tracing is off. */
  traceparent(): string | null;
  child(name: string, attributes?: Attributes, kind?: 'client' | 'internal'): TraceSpan;
  set(attributes: Attributes): void;
  end(outcome?: SpanOutcome): void;
}

/** The span of an attempt when tracing is off (or nobody passed one). */
export const NO_SPAN: TraceSpan = {
  traceparent: () => null,
  child: () => NO_SPAN,
  set: () => undefined,
  end: () => undefined,
};

/** What the tracer provider gives Baton: a tracer, and the means to flush and stop it. */
export interface TracerHandle {
  tracer: Tracer;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry spans (SPEC §16, issue 14), off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Parents
 * are passed explicitly — the run's stored traceparent, then the node's span — so no global tracer
 * provider or context manager is registered: two Baton apps in one process (the tests) each keep
 * their own, and nothing else in the process is instrumented behind Baton's back.
 */
export class Tracing {
  static readonly disabled = new Tracing(null);

  constructor(private readonly handle: TracerHandle | null) {}

  get enabled(): boolean {
    return this.handle !== null;
  }

  /** A span under `parent` (a caller's or a run's traceparent), or a new trace's root when there is none. */
  start(
    name: string,
    parent: SpanParent | null,
    attributes: Attributes = {},
    kind: 'server' | 'internal' = 'internal',
  ) {
    if (!this.handle) return NO_SPAN;
    const context = parent
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: parent.traceId,
          spanId: parent.parentId,
          traceFlags: parseInt(parent.flags, 16) & TraceFlags.SAMPLED,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    return this.wrap(
      this.handle.tracer.startSpan(
        name,
        { kind: kind === 'server' ? SpanKind.SERVER : SpanKind.INTERNAL, attributes },
        context,
      ),
    );
  }

  flush(): Promise<void> {
    return this.handle?.flush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.handle?.shutdown() ?? Promise.resolve();
  }

  private wrap(span: Span): TraceSpan {
    const tracer = this.handle!.tracer;
    return {
      traceparent: () => {
        const c = span.spanContext();
        return `00-${c.traceId}-${c.spanId}-${c.traceFlags.toString(16).padStart(2, '0')}`;
      },
      child: (name, attributes = {}, kind = 'internal') =>
        this.wrap(
          tracer.startSpan(
            name,
            { kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes },
            trace.setSpan(ROOT_CONTEXT, span),
          ),
        ),
      set: (attributes) => void span.setAttributes(attributes),
      end: (outcome) => {
        if (outcome)
          span.setStatus(
            outcome.ok ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: outcome.message },
          );
        span.end();
      },
    };
  }
}

/**
 * The SDK, loaded only when tracing is on (so a process without the endpoint never even imports
 * it): a tracer provider with a batch processor and the OTLP/HTTP exporter (JSON) to
 * `<endpoint>/v1/traces`, parent-based always-on sampling (a caller's unsampled flag is kept).
 */
export async function startTracing(
  endpoint: string | undefined,
  serviceName: string,
  load = loadSdk,
): Promise<Tracing> {
  if (!endpoint) return Tracing.disabled;
  return new Tracing(await load(endpoint, serviceName));
}

async function loadSdk(endpoint: string, serviceName: string): Promise<TracerHandle> {
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return {
    tracer: provider.getTracer('baton'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
