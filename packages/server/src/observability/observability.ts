import type { Attributes } from '@opentelemetry/api';
import type { ServerTimings } from '@tachyon-serve/core';
import {
  compileTracingOptions,
  type MetricsOptions,
  type TracingConfig,
  type TracingOptions,
} from './observability-options.js';
import { OtlpSpanExporter } from './otlp-spans.js';
import { ServerMetrics, type InferProtocol } from './server-metrics.js';
import { startTrace, type TraceContext } from './trace-context.js';

export interface ObservabilityOptions {
  /** Prometheus metrics and the rolling history. @default { enabled: true } */
  metrics?: MetricsOptions;
  /** OpenTelemetry export. @default {} (off: traceparent is still propagated) */
  tracing?: TracingOptions;
  /** Whether a model name is served (bounds the `model` label). @default every name */
  knownModel?: (name: string) => boolean;
  /** Clock of the rolling history (epoch ms). @default Date.now */
  now?: () => number;
}

/** One finished request, from the HTTP onResponse hook or the gRPC call wrapper. Times: performance.now() ms. */
export interface FinishedRequest {
  trace: TraceContext;
  requestId: string;
  /** Span name: `METHOD /route/:pattern` (HTTP) or `package.Service/Method` (gRPC). */
  name: string;
  /** Set on inference calls only: those are the ones counted in tachyon_requests_total. */
  protocol: InferProtocol | undefined;
  model: string | undefined;
  /** 'OK' or the TCH_ERR_* code. */
  code: string;
  receivedAt: number;
  finishedAt: number;
  timings: ServerTimings | undefined;
  /** Protocol status attributes (`http.response.status_code`, `rpc.grpc.status_code`, ...). */
  attributes: Attributes;
  /** A server-side failure (HTTP 5xx, gRPC INTERNAL...): marks the span as an error. */
  serverError: boolean;
}

/**
 * What one server process shares between its HTTP and gRPC adapters: the metrics (one registry) and the tracing
 * (one exporter). Create it once, hand it to both, and `close()` it after both have stopped, so the last spans are
 * flushed.
 */
export class Observability {
  readonly metrics: ServerMetrics;
  readonly tracing: TracingConfig;
  readonly #spans: OtlpSpanExporter | undefined;

  constructor(options: ObservabilityOptions = {}) {
    this.metrics = new ServerMetrics({
      ...options.metrics,
      ...(options.knownModel ? { knownModel: options.knownModel } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.tracing = compileTracingOptions(options.tracing);
    this.#spans = this.tracing.otlpEndpoint === undefined ? undefined : new OtlpSpanExporter(this.tracing);
  }

  /** The server span of a request that arrived with these `traceparent` / `tracestate` values (any, or none). */
  startTrace(traceparent: unknown, tracestate: unknown): TraceContext {
    return startTrace(traceparent, tracestate, {
      recording: this.#spans !== undefined,
      sampleRatio: this.tracing.sampleRatio,
      parentBased: this.tracing.parentBased,
    });
  }

  /** Counts an inference request in the metrics and exports its spans when sampled. Never throws. */
  finish(request: FinishedRequest): void {
    try {
      if (request.protocol !== undefined) {
        this.metrics.recordRequest({
          model: request.model ?? '',
          protocol: request.protocol,
          code: request.code,
          ...(request.timings === undefined ? {} : { timings: request.timings }),
        });
      }
      if (this.#spans !== undefined && request.trace.sampled) {
        const attributes: Attributes = {
          'tachyon.request_id': request.requestId,
          'tachyon.code': request.code,
          ...request.attributes,
        };
        if (request.model !== undefined) attributes['tachyon.model'] = request.model;
        if (request.protocol !== undefined) attributes['tachyon.protocol'] = request.protocol;
        this.#spans.export({
          trace: request.trace,
          name: request.name,
          startedAt: request.receivedAt,
          endedAt: request.finishedAt,
          attributes,
          error: request.serverError,
          ...(request.timings === undefined ? {} : { timings: request.timings }),
        });
      }
    } catch {
      // Observability must never fail a request.
    }
  }

  /** Sends the spans still buffered (no-op without tracing). */
  async flush(): Promise<void> {
    await this.#spans?.flush();
  }

  /** Flushes and stops the span exporter; idempotent. */
  async close(): Promise<void> {
    await this.#spans?.close();
  }
}
