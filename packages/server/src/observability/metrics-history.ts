import { LatencySketch } from './latency-sketch.js';

/** One model in one history bucket, as `GET /v2/metrics/history` returns it. */
export interface HistoryModelStats {
  /** Inference requests that finished in the bucket (every code). */
  requests: number;
  /** Of those, the ones that failed (code other than OK). */
  errors: number;
  /** Total server time of the successful requests, in ms (within 4.5 %); null when none succeeded. */
  latencyMs: { p50: number; p90: number; p99: number } | null;
  /** Mean rows per session call in the bucket; null when no batch ran. */
  meanBatchSize: number | null;
}

export interface HistoryBucket {
  /** Bucket start, Unix epoch milliseconds (a multiple of bucketSeconds * 1000). */
  start: number;
  models: Record<string, HistoryModelStats>;
}

/** The body of `GET /v2/metrics/history`: buckets with any traffic, oldest first. */
export interface MetricsHistory {
  bucketSeconds: number;
  buckets: HistoryBucket[];
}

interface ModelCell {
  requests: number;
  errors: number;
  latency: LatencySketch;
  batches: number;
  rows: number;
}

interface Slot {
  start: number;
  models: Map<string, ModelCell>;
}

/**
 * The rolling history the dashboard reads: a ring of `buckets` slots of `bucketSeconds` each, reused as time moves
 * on (a slot whose start is out of date is cleared when written). Memory is bounded by slots x models x one
 * LatencySketch (about 700 bytes), whatever the traffic; the caller bounds the model names.
 */
export class RollingHistory {
  readonly #slots: (Slot | undefined)[];
  readonly #bucketMs: number;

  constructor(
    readonly bucketSeconds: number,
    readonly buckets: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#slots = new Array<Slot | undefined>(buckets);
    this.#bucketMs = bucketSeconds * 1000;
  }

  recordRequest(model: string, ok: boolean, totalMs: number | undefined): void {
    const cell = this.#cell(model);
    cell.requests += 1;
    if (!ok) cell.errors += 1;
    else if (totalMs !== undefined) cell.latency.add(totalMs);
  }

  recordBatch(model: string, rows: number): void {
    const cell = this.#cell(model);
    cell.batches += 1;
    cell.rows += rows;
  }

  /** Buckets within the window (the current one included) that saw anything, oldest first. */
  snapshot(): MetricsHistory {
    const current = this.#startOf(this.now());
    const oldest = current - (this.buckets - 1) * this.#bucketMs;
    const live = this.#slots.filter(
      (s): s is Slot => s !== undefined && s.start >= oldest && s.start <= current && s.models.size > 0,
    );
    live.sort((a, b) => a.start - b.start);
    return {
      bucketSeconds: this.bucketSeconds,
      buckets: live.map((slot) => ({
        start: slot.start,
        models: Object.fromEntries([...slot.models].map(([name, cell]) => [name, statsOf(cell)])),
      })),
    };
  }

  #startOf(time: number): number {
    return Math.floor(time / this.#bucketMs) * this.#bucketMs;
  }

  #cell(model: string): ModelCell {
    const start = this.#startOf(this.now());
    const index = Math.floor(start / this.#bucketMs) % this.buckets;
    let slot = this.#slots[index];
    if (slot === undefined || slot.start !== start) {
      slot = { start, models: new Map() };
      this.#slots[index] = slot;
    }
    let cell = slot.models.get(model);
    if (cell === undefined) {
      cell = { requests: 0, errors: 0, latency: new LatencySketch(), batches: 0, rows: 0 };
      slot.models.set(model, cell);
    }
    return cell;
  }
}

function statsOf(cell: ModelCell): HistoryModelStats {
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    requests: cell.requests,
    errors: cell.errors,
    latencyMs:
      cell.latency.count === 0
        ? null
        : {
            p50: round(cell.latency.quantile(0.5)),
            p90: round(cell.latency.quantile(0.9)),
            p99: round(cell.latency.quantile(0.99)),
          },
    meanBatchSize: cell.batches === 0 ? null : round(cell.rows / cell.batches),
  };
}
