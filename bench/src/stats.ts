/** Summary of one scenario's timed samples (milliseconds). */
export interface LatencySummary {
  iterations: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
  /** Sequential calls per second: 1000 / mean. */
  throughput: number;
}

/**
 * The `q` quantile (0..1) of `sorted` (ascending), interpolating linearly between the two closest ranks
 * (Hyndman-Fan type 7, the default of numpy and R), so small sample counts do not snap to one sample.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile: no samples');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const rank = (sorted.length - 1) * q;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    iterations: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    min: sorted[0]!,
    mean,
    throughput: 1000 / mean,
  };
}

/** Rounds to `digits` decimals for the JSON (sub-microsecond digits of a millisecond timer are noise). */
export function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * A 95% interval for the median of `values`, from the normal approximation of the median's standard error
 * (1.2533 sigma / sqrt(n)) with sigma estimated robustly as 1.4826 x the median absolute deviation.
 */
export function medianCi95(values: readonly number[]): [number, number] {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  const se = (1.2533 * 1.4826 * mad) / Math.sqrt(values.length);
  return [m - 1.96 * se, m + 1.96 * se];
}
