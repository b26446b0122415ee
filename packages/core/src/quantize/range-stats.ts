import type { CalibrationMethod } from './quantize-options.js';

const BINS = 2048;

/**
 * A histogram of |x| on one side of zero whose bin width doubles (pairs of bins merge) whenever a larger value
 * arrives, so one pass over the calibration set suffices whatever the range turns out to be.
 */
class MagnitudeHistogram {
  readonly counts = new Float64Array(BINS);
  width = 0;
  total = 0;
  max = 0;

  add(values: Float32Array, negative: boolean): void {
    let localMax = 0;
    for (let i = 0; i < values.length; i++) {
      const v = negative ? -values[i]! : values[i]!;
      if (v > localMax) localMax = v;
    }
    if (localMax <= 0) return;
    if (this.width === 0) this.width = localMax / BINS;
    while (localMax > this.width * BINS) this.grow();
    if (localMax > this.max) this.max = localMax;
    const inv = 1 / this.width;
    const counts = this.counts;
    for (let i = 0; i < values.length; i++) {
      const v = negative ? -values[i]! : values[i]!;
      if (v <= 0) continue;
      counts[Math.min(BINS - 1, Math.floor(v * inv))]! += 1;
      this.total++;
    }
  }

  private grow(): void {
    const c = this.counts;
    for (let i = 0; i < BINS / 2; i++) c[i] = c[2 * i]! + c[2 * i + 1]!;
    c.fill(0, BINS / 2);
    this.width *= 2;
  }

  /** Smallest bin edge below which `fraction` of the values lie. */
  percentile(fraction: number): number {
    if (this.total === 0) return 0;
    const target = fraction * this.total;
    let sum = 0;
    for (let i = 0; i < BINS; i++) {
      sum += this.counts[i]!;
      if (sum >= target) return Math.min(this.max, (i + 1) * this.width);
    }
    return this.max;
  }

  /** TensorRT's entropy calibration: the threshold whose `levels`-level quantization keeps the KL divergence lowest. */
  entropyThreshold(levels: number): number {
    if (this.total === 0) return 0;
    let last = BINS;
    while (last > 0 && this.counts[last - 1] === 0) last--;
    if (last <= levels) return this.max;
    let best = last;
    let bestKl = Infinity;
    const step = Math.max(1, Math.floor((last - levels) / 256));
    for (let i = levels; i <= last; i += step) {
      const kl = klForThreshold(this.counts, i, levels);
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
    }
    return Math.min(this.max, best * this.width);
  }
}

function klForThreshold(counts: Float64Array, bins: number, levels: number): number {
  const p = counts.slice(0, bins);
  let outliers = 0;
  for (let j = bins; j < counts.length; j++) outliers += counts[j]!;
  p[bins - 1]! += outliers;
  const q = new Float64Array(bins);
  const per = bins / levels;
  for (let l = 0; l < levels; l++) {
    const start = Math.floor(l * per);
    const end = l === levels - 1 ? bins : Math.floor((l + 1) * per);
    let sum = 0;
    let nonzero = 0;
    for (let j = start; j < end; j++) {
      sum += counts[j]!;
      if (counts[j]! > 0) nonzero++;
    }
    if (nonzero === 0) continue;
    for (let j = start; j < end; j++) if (counts[j]! > 0) q[j] = sum / nonzero;
  }
  let pSum = 0;
  let qSum = 0;
  for (let j = 0; j < bins; j++) {
    pSum += p[j]!;
    qSum += q[j]!;
  }
  let kl = 0;
  for (let j = 0; j < bins; j++) {
    if (p[j] === 0) continue;
    const pj = p[j]! / pSum;
    // A bin that P has and Q lost (the outlier bin) costs as if Q held a tiny mass there.
    const qj = q[j]! > 0 ? q[j]! / qSum : 1e-12;
    kl += pj * Math.log(pj / qj);
  }
  return kl;
}

/** Running statistics of one tensor over the calibration set. */
export class RangeStats {
  min = Infinity;
  max = -Infinity;
  private readonly pos?: MagnitudeHistogram;
  private readonly neg?: MagnitudeHistogram;

  constructor(method: CalibrationMethod) {
    if (method !== 'minmax') {
      this.pos = new MagnitudeHistogram();
      this.neg = new MagnitudeHistogram();
    }
  }

  add(values: Float32Array): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
    this.pos?.add(values, false);
    this.neg?.add(values, true);
  }

  /** The [lo, hi] range to quantize to (always holding 0, so that zero stays exact). */
  range(method: CalibrationMethod, percentile: number): [number, number] {
    const lo = Number.isFinite(this.min) ? Math.min(this.min, 0) : 0;
    const hi = Number.isFinite(this.max) ? Math.max(this.max, 0) : 0;
    if (method === 'minmax' || !this.pos || !this.neg) return [lo, hi];
    if (method === 'percentile') {
      return [-this.neg.percentile(percentile / 100), this.pos.percentile(percentile / 100)];
    }
    // Two-sided tensors share the 256 levels between the sides; one-sided ones (after ReLU) get them all.
    const twoSided = this.neg.total > 0 && this.pos.total > 0;
    const levels = twoSided ? 128 : 255;
    return [-this.neg.entropyThreshold(levels), this.pos.entropyThreshold(levels)];
  }
}
