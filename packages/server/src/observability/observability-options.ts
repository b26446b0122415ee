/** Prometheus metrics and the rolling history the dashboard reads. */
export interface MetricsOptions {
  /** Serve `GET /metrics` (Prometheus text format) and `GET /v2/metrics/history`. @default true */
  enabled?: boolean;
  /** Width of one history bucket in seconds. @default 10 */
  historyBucketSeconds?: number;
  /** How many buckets the history keeps (360 x 10 s = the last hour). @default 360 */
  historyBuckets?: number;
}

/** OpenTelemetry tracing: off unless an OTLP endpoint is given (and then one span per request stage). */
export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. @default undefined (tracing off, no cost) */
  otlpEndpoint?: string;
  /** `service.name` resource attribute. @default 'tachyon' */
  serviceName?: string;
  /** Fraction of root traces sampled (a sampled parent `traceparent` is always followed). @default 1 */
  sampleRatio?: number;
}

export interface MetricsConfig {
  readonly enabled: boolean;
  readonly historyBucketSeconds: number;
  readonly historyBuckets: number;
}

export interface TracingConfig {
  readonly otlpEndpoint: string | undefined;
  readonly serviceName: string;
  readonly sampleRatio: number;
}

export const METRICS_DEFAULTS = Object.freeze({ enabled: true, historyBucketSeconds: 10, historyBuckets: 360 });
export const TRACING_DEFAULTS = Object.freeze({ serviceName: 'tachyon', sampleRatio: 1 });

export function compileMetricsOptions(options: MetricsOptions = {}): MetricsConfig {
  const enabled = options.enabled ?? METRICS_DEFAULTS.enabled;
  if (typeof enabled !== 'boolean') throw new TypeError('metrics.enabled: expected a boolean.');
  const int = (name: 'historyBucketSeconds' | 'historyBuckets', max: number): number => {
    const value = options[name] ?? METRICS_DEFAULTS[name];
    if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`metrics.${name}: expected an integer in [1, ${max}], got ${String(value)}.`);
    return value;
  };
  return Object.freeze({ enabled, historyBucketSeconds: int('historyBucketSeconds', 3600), historyBuckets: int('historyBuckets', 100_000) });
}

export function compileTracingOptions(options: TracingOptions = {}): TracingConfig {
  const endpoint = options.otlpEndpoint;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new TypeError(`tracing.otlpEndpoint: expected an http(s) URL, got "${endpoint}".`);
  }
  const serviceName = options.serviceName ?? TRACING_DEFAULTS.serviceName;
  if (typeof serviceName !== 'string' || serviceName === '') throw new TypeError('tracing.serviceName: expected a non-empty string.');
  const sampleRatio = options.sampleRatio ?? TRACING_DEFAULTS.sampleRatio;
  if (typeof sampleRatio !== 'number' || !(sampleRatio >= 0 && sampleRatio <= 1)) throw new RangeError(`tracing.sampleRatio: expected a number in [0, 1], got ${String(sampleRatio)}.`);
  return Object.freeze({ otlpEndpoint: endpoint, serviceName, sampleRatio });
}
