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
  /**
   * OpenTelemetry's sampler names (`OTEL_TRACES_SAMPLER`): the `parentbased_*` ones follow a caller's sampled flag,
   * the others decide alone; `*_always_on` / `*_always_off` fix the ratio at 1 / 0, `*traceidratio` uses sampleRatio.
   * @default 'parentbased_traceidratio'
   */
  sampler?: TracingSampler;
  /** Extra headers of every OTLP export request (`OTEL_EXPORTER_OTLP_HEADERS`), e.g. an API key. @default {} */
  headers?: Readonly<Record<string, string>>;
  /** Resource attributes of every span (`OTEL_RESOURCE_ATTRIBUTES`); `service.name` is serviceName. @default {} */
  resourceAttributes?: Readonly<Record<string, string>>;
}

export type TracingSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface MetricsConfig {
  readonly enabled: boolean;
  readonly historyBucketSeconds: number;
  readonly historyBuckets: number;
}

export interface TracingConfig {
  readonly otlpEndpoint: string | undefined;
  readonly serviceName: string;
  /** The ratio of traces the server decides itself (roots, or all when not parentBased). */
  readonly sampleRatio: number;
  /** Whether a caller's sampled flag is followed. */
  readonly parentBased: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

export const METRICS_DEFAULTS = Object.freeze({ enabled: true, historyBucketSeconds: 10, historyBuckets: 360 });
export const TRACING_DEFAULTS = Object.freeze({ serviceName: 'tachyon', sampleRatio: 1 });

export function compileMetricsOptions(options: MetricsOptions = {}): MetricsConfig {
  const enabled = options.enabled ?? METRICS_DEFAULTS.enabled;
  if (typeof enabled !== 'boolean') throw new TypeError('metrics.enabled: expected a boolean.');
  const int = (name: 'historyBucketSeconds' | 'historyBuckets', max: number): number => {
    const value = options[name] ?? METRICS_DEFAULTS[name];
    if (!Number.isInteger(value) || value < 1 || value > max)
      throw new RangeError(`metrics.${name}: expected an integer in [1, ${max}], got ${String(value)}.`);
    return value;
  };
  return Object.freeze({
    enabled,
    historyBucketSeconds: int('historyBucketSeconds', 3600),
    historyBuckets: int('historyBuckets', 100_000),
  });
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
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw new TypeError(`tracing.otlpEndpoint: expected an http(s) URL, got "${endpoint}".`);
  }
  const serviceName = options.serviceName ?? TRACING_DEFAULTS.serviceName;
  if (typeof serviceName !== 'string' || serviceName === '')
    throw new TypeError('tracing.serviceName: expected a non-empty string.');
  const sampleRatio = options.sampleRatio ?? TRACING_DEFAULTS.sampleRatio;
  if (typeof sampleRatio !== 'number' || !(sampleRatio >= 0 && sampleRatio <= 1))
    throw new RangeError(`tracing.sampleRatio: expected a number in [0, 1], got ${String(sampleRatio)}.`);
  const sampler = options.sampler ?? 'parentbased_traceidratio';
  const fixed: Record<TracingSampler, number | undefined> = {
    always_on: 1,
    always_off: 0,
    traceidratio: undefined,
    parentbased_always_on: 1,
    parentbased_always_off: 0,
    parentbased_traceidratio: undefined,
  };
  if (!(sampler in fixed))
    throw new TypeError(`tracing.sampler: expected one of ${Object.keys(fixed).join(', ')}, got "${String(sampler)}".`);
  const stringRecord = (name: string, value: unknown): Readonly<Record<string, string>> => {
    if (value === undefined) return Object.freeze({});
    if (typeof value !== 'object' || value === null || !Object.values(value).every((v) => typeof v === 'string'))
      throw new TypeError(`tracing.${name}: expected an object of strings.`);
    return Object.freeze({ ...(value as Record<string, string>) });
  };
  return Object.freeze({
    otlpEndpoint: endpoint,
    serviceName,
    sampleRatio: fixed[sampler] ?? sampleRatio,
    parentBased: sampler.startsWith('parentbased_'),
    headers: stringRecord('headers', options.headers),
    resourceAttributes: stringRecord('resourceAttributes', options.resourceAttributes),
  });
}
