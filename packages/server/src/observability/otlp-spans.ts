import type { Attributes, Context, SpanContext, Tracer } from '@opentelemetry/api';
import type { ServerTimings } from '@tachyon-serve/core';
import type { TracingConfig } from './observability-options.js';
import { randomId, type TraceContext } from './trace-context.js';

/** A finished request as the span exporter sees it; times are performance.now() milliseconds. */
export interface SpanRecord {
  trace: TraceContext;
  /** Server span name: `POST /v2/models/:name/infer`, `inference.GRPCInferenceService/ModelInfer`. */
  name: string;
  startedAt: number;
  endedAt: number;
  attributes: Attributes;
  /** Marks the span as failed (server errors: HTTP 5xx, gRPC INTERNAL/UNAVAILABLE/...). */
  error: boolean;
  timings?: ServerTimings;
}

interface Sdk {
  api: typeof import('@opentelemetry/api');
  provider: import('@opentelemetry/sdk-trace-base').BasicTracerProvider;
  tracer: Tracer;
  ids: PresetIdGenerator;
}

/**
 * Span ids come from the request (the id the response's `traceparent` already named): the next id handed out is the
 * preset one, then random ones. Spans are built synchronously, so a preset is always consumed by its own span.
 */
class PresetIdGenerator {
  nextSpanId: string | undefined;
  nextTraceId: string | undefined;
  generateSpanId(): string {
    const id = this.nextSpanId ?? randomId(8);
    this.nextSpanId = undefined;
    return id;
  }
  generateTraceId(): string {
    const id = this.nextTraceId ?? randomId(16);
    this.nextTraceId = undefined;
    return id;
  }
}

/**
 * Exports one server span per sampled request, with child spans queue, preprocess, compute and postprocess built from
 * its timings (laid end to end from the request's arrival: durations exact, offsets as measured by the stages), over
 * OTLP/HTTP JSON to `config.otlpEndpoint`. The OpenTelemetry SDK is imported only here and only when an endpoint is
 * configured; spans are batched (BatchSpanProcessor) and flushed by `close()`. Export failures never reach requests.
 */
export class OtlpSpanExporter {
  readonly #sdk: Promise<Sdk>;

  constructor(config: TracingConfig) {
    this.#sdk = loadSdk(config);
    this.#sdk.catch(() => undefined);
  }

  export(record: SpanRecord): void {
    void this.#sdk.then((sdk) => buildSpans(sdk, record)).catch(() => undefined);
  }

  /** Sends every span still buffered. */
  async flush(): Promise<void> {
    const sdk = await this.#sdk;
    await sdk.provider.forceFlush();
  }

  /** Flushes and shuts the exporter down; later spans are dropped. */
  async close(): Promise<void> {
    const sdk = await this.#sdk.catch(() => undefined);
    await sdk?.provider.shutdown();
  }
}

async function loadSdk(config: TracingConfig): Promise<Sdk> {
  const [api, base, otlp, resources] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const ids = new PresetIdGenerator();
  const provider = new base.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName }),
    // Sampling was decided when the request arrived (its traceparent says so); only sampled requests get here.
    sampler: new base.AlwaysOnSampler(),
    idGenerator: ids,
    spanProcessors: [
      new base.BatchSpanProcessor(
        new otlp.OTLPTraceExporter({ url: config.otlpEndpoint!, headers: { ...config.headers } }),
      ),
    ],
  });
  return { api, provider, tracer: provider.getTracer('@tachyon-serve/server'), ids };
}

const epochMs = (t: number) => performance.timeOrigin + t;

function buildSpans({ api, tracer, ids }: Sdk, record: SpanRecord): void {
  const { trace } = record;
  let parent: Context = api.ROOT_CONTEXT;
  if (trace.parentSpanId !== undefined) {
    const caller: SpanContext = {
      traceId: trace.traceId,
      spanId: trace.parentSpanId,
      traceFlags: api.TraceFlags.SAMPLED,
      isRemote: true,
      ...(trace.traceState === undefined ? {} : { traceState: api.createTraceState(trace.traceState) }),
    };
    parent = api.trace.setSpanContext(api.ROOT_CONTEXT, caller);
  } else {
    ids.nextTraceId = trace.traceId;
  }
  ids.nextSpanId = trace.spanId;
  const server = tracer.startSpan(
    record.name,
    { kind: api.SpanKind.SERVER, startTime: epochMs(record.startedAt), attributes: record.attributes },
    parent,
  );
  ids.nextSpanId = undefined;
  ids.nextTraceId = undefined;
  if (record.error) server.setStatus({ code: api.SpanStatusCode.ERROR });
  const t = record.timings;
  if (t !== undefined) {
    const inside = api.trace.setSpan(api.ROOT_CONTEXT, server);
    let at = record.startedAt;
    for (const [name, ms] of [
      ['queue', t.queueMs],
      ['preprocess', t.preprocessMs],
      ['compute', t.computeMs],
      ['postprocess', t.postprocessMs],
    ] as const) {
      const duration = Math.max(0, ms);
      tracer
        .startSpan(name, { kind: api.SpanKind.INTERNAL, startTime: epochMs(at) }, inside)
        .end(epochMs(at + duration));
      at += duration;
    }
  }
  server.end(epochMs(Math.max(record.endedAt, record.startedAt)));
}
