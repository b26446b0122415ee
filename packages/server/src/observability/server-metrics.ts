import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServerTimings } from '@tachyon-serve/core';
import { RollingHistory, type MetricsHistory } from './metrics-history.js';
import { compileMetricsOptions, type MetricsConfig, type MetricsOptions } from './observability-options.js';

/** The five inference protocols a request can come in on (the `protocol` label). */
export type InferProtocol = 'raw' | 'kserve-http' | 'tf-serving-http' | 'kserve-grpc' | 'tf-serving-grpc';

export interface RequestMetric {
  /** The served model; names the server does not serve are counted under `_unknown`. */
  model: string;
  protocol: InferProtocol;
  /** 'OK' or the TCH_ERR_* code the client got. */
  code: string;
  /** Present when the request ran (success): observed per stage. */
  timings?: ServerTimings;
}

/** One model's scheduler state, read on every scrape (see `setQueueSource`). */
export interface QueueStats {
  model: string;
  /** Requests admitted and waiting (not yet in a batch). */
  queued: number;
  /** Requests in batches now running. */
  running: number;
  /** Session slots (batches) in use now. */
  busySlots: number;
  /** Session slots the model has (its scheduler `concurrency`). */
  concurrency: number;
}

/** The model label for names the server does not serve, and for more distinct names than MAX_MODELS. */
export const UNKNOWN_MODEL = '_unknown';
const MAX_MODELS = 256;
/** 0.5 ms .. 10 s: where a CPU int8 image model's stages and whole requests fall. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const STAGES = [
  ['queue', 'queueMs'],
  ['preprocess', 'preprocessMs'],
  ['compute', 'computeMs'],
  ['postprocess', 'postprocessMs'],
] as const;
/**
 * prom-client's default gauges whose names carry a counter's `_total` suffix (`promtool check metrics` flags them).
 * They are left out: each is the sum over `type` of the per-type gauge prom-client also exports
 * (`sum without (type) (nodejs_active_handles)`).
 */
export const DROPPED_DEFAULT_METRICS: readonly string[] = Object.freeze([
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]);

export interface ServerMetricsOptions extends MetricsOptions {
  /** Whether a model name is served (bounds the label values; an attacker's made-up names become `_unknown`). @default every name */
  knownModel?: (name: string) => boolean;
  /** Clock of the rolling history (epoch ms). @default Date.now */
  now?: () => number;
}

/**
 * The server's Prometheus metrics, in a registry of its own (never prom-client's global one), and the rolling history
 * the dashboard reads. With `enabled: false` every method is a no-op and `render()` is empty.
 *
 * Series: `tachyon_requests_total{model,protocol,code}`, `tachyon_request_duration_seconds{model,protocol}` (server
 * time of successful requests), `tachyon_request_stage_duration_seconds{model,protocol,stage}` (stage: queue,
 * preprocess, compute, postprocess; successful requests only),
 * `tachyon_batch_size{model}` (rows per session call), `tachyon_queue_depth{model}`, `tachyon_requests_running{model}`,
 * `tachyon_sessions_busy{model}`, `tachyon_session_slots{model}`, and prom-client's default process metrics.
 */
export class ServerMetrics {
  readonly config: MetricsConfig;
  readonly history: RollingHistory | undefined;
  readonly #registry: Registry | undefined;
  readonly #requests: Counter<'model' | 'protocol' | 'code'> | undefined;
  readonly #durations: Histogram<'model' | 'protocol'> | undefined;
  readonly #stageDurations: Histogram<'model' | 'protocol' | 'stage'> | undefined;
  readonly #batches: Histogram<'model'> | undefined;
  readonly #knownModel: (name: string) => boolean;
  readonly #labels = new Set<string>();
  #queueSource: (() => readonly QueueStats[]) | undefined;

  constructor(options: ServerMetricsOptions = {}) {
    this.config = compileMetricsOptions({
      enabled: options.enabled,
      historyBucketSeconds: options.historyBucketSeconds,
      historyBuckets: options.historyBuckets,
    });
    this.#knownModel = options.knownModel ?? (() => true);
    if (!this.config.enabled) return;
    this.history = new RollingHistory(this.config.historyBucketSeconds, this.config.historyBuckets, options.now);
    const registry = new Registry();
    this.#registry = registry;
    const registers = [registry];
    this.#requests = new Counter({
      name: 'tachyon_requests_total',
      help: 'Inference requests by model, protocol and result code (OK or TCH_ERR_*).',
      labelNames: ['model', 'protocol', 'code'],
      registers,
    });
    this.#durations = new Histogram({
      name: 'tachyon_request_duration_seconds',
      help: 'Server time of successful inference requests, from arrival to response (the total of Server-Timing).',
      labelNames: ['model', 'protocol'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#stageDurations = new Histogram({
      name: 'tachyon_request_stage_duration_seconds',
      help: 'Server time of successful inference requests per stage (queue, preprocess, compute, postprocess).',
      labelNames: ['model', 'protocol', 'stage'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#batches = new Histogram({
      name: 'tachyon_batch_size',
      help: 'Rows (images) per session call.',
      labelNames: ['model'],
      buckets: BATCH_BUCKETS,
      registers,
    });
    const gauge = (name: string, help: string, pick: (s: QueueStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect: () => {
          const g = registry.getSingleMetric(name) as Gauge<'model'>;
          g.reset();
          for (const stats of this.#queueStats()) g.set({ model: stats.model }, pick(stats));
        },
      });
    gauge('tachyon_queue_depth', 'Requests waiting in the model queue.', (s) => s.queued);
    gauge('tachyon_requests_running', 'Requests in batches running now.', (s) => s.running);
    gauge('tachyon_sessions_busy', 'Session slots running a batch now.', (s) => s.busySlots);
    gauge('tachyon_session_slots', 'Session slots of the model (its scheduler concurrency).', (s) => s.concurrency);
    collectDefaultMetrics({ register: registry });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }

  /** The Content-Type of `render()`'s text (Prometheus text exposition format 0.0.4). */
  get contentType(): string {
    return this.#registry?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8';
  }

  /** Counts one finished inference request; observes its stage timings when it ran. Called once per request by the HTTP and gRPC adapters. */
  recordRequest(metric: RequestMetric): void {
    if (!this.#requests) return;
    const model = this.modelLabel(metric.model);
    this.#requests.inc({ model, protocol: metric.protocol, code: metric.code });
    const t = metric.timings;
    if (t !== undefined) {
      this.#durations!.observe({ model, protocol: metric.protocol }, Math.max(0, t.totalMs) / 1000);
      for (const [stage, key] of STAGES)
        this.#stageDurations!.observe({ model, protocol: metric.protocol, stage }, Math.max(0, t[key]) / 1000);
    }
    this.history!.recordRequest(model, metric.code === 'OK', t?.totalMs);
  }

  /**
   * Records one session call of `rows` rows (images) for `model`: call it from the scheduler's batch hook, once per
   * batch run (not per request), so that `tachyon_batch_size` and the history's mean batch size count batches.
   */
  recordBatch(model: string, rows: number): void {
    if (!this.#batches || !(rows >= 1)) return;
    const label = this.modelLabel(model);
    this.#batches.observe({ model: label }, rows);
    this.history!.recordBatch(label, rows);
  }

  /**
   * Where the queue gauges come from: `source()` is called on every scrape (not per request) and returns one entry per
   * served model, e.g. from the scheduler's stats. Replaces any earlier source; a throwing source yields no queue series.
   */
  setQueueSource(source: () => readonly QueueStats[]): void {
    if (typeof source !== 'function') throw new TypeError('source: expected a function returning QueueStats[].');
    this.#queueSource = source;
  }

  /** Every series in the Prometheus text format. */
  async render(): Promise<string> {
    return this.#registry ? this.#registry.metrics() : '';
  }

  /** The rolling history (`GET /v2/metrics/history`); empty buckets are left out. */
  historySnapshot(): MetricsHistory {
    return this.history?.snapshot() ?? { bucketSeconds: this.config.historyBucketSeconds, buckets: [] };
  }

  /** `name` when served and among the first 256 names seen, else `_unknown`: label values stay bounded. */
  modelLabel(name: string): string {
    if (this.#labels.has(name)) return name;
    if (this.#labels.size >= MAX_MODELS || !this.#knownModel(name)) return UNKNOWN_MODEL;
    this.#labels.add(name);
    return name;
  }

  #queueStats(): readonly QueueStats[] {
    try {
      return this.#queueSource?.() ?? [];
    } catch {
      return [];
    }
  }
}
