/**
 * A fixed-size log-bucketed latency histogram (in the spirit of HdrHistogram / DDSketch): bins from 0.1 ms to 100 s,
 * eight per doubling, so any quantile it reports is within 4.5 % of the true sample value (clamped to the exact
 * min and max). Values outside the range land in the first or last bin. 162 counters, whatever the traffic.
 */
const LOWEST_MS = 0.1;
const BINS_PER_DOUBLING = 8;
const GROWTH = 2 ** (1 / BINS_PER_DOUBLING);
const RANGE_BINS = Math.ceil(Math.log2(100_000 / LOWEST_MS) * BINS_PER_DOUBLING);
/** Bin 0: below 0.1 ms; bins 1..RANGE_BINS: the log bins; the last: 100 s and above. */
export const SKETCH_BINS = RANGE_BINS + 2;

export class LatencySketch {
  readonly #bins = new Uint32Array(SKETCH_BINS);
  #count = 0;
  #min = Infinity;
  #max = -Infinity;

  get count(): number {
    return this.#count;
  }

  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, ms);
    this.#bins[binOf(value)]! += 1;
    this.#count += 1;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** The q-quantile (0 < q <= 1) in ms: the geometric middle of the bin holding the rank-ceil(q n) sample; NaN when empty. */
  quantile(q: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < SKETCH_BINS; i++) {
      seen += this.#bins[i]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, middleOf(i)));
    }
    return this.#max;
  }
}

function binOf(ms: number): number {
  if (ms < LOWEST_MS) return 0;
  const i = Math.floor(Math.log2(ms / LOWEST_MS) * BINS_PER_DOUBLING) + 1;
  return Math.min(i, SKETCH_BINS - 1);
}

function middleOf(bin: number): number {
  if (bin === 0) return LOWEST_MS / 2;
  return LOWEST_MS * GROWTH ** (bin - 1 + 0.5);
}
