/**
 * Token buckets keyed by an opaque id (a key's digest, or a client address when auth is off): each holds up to
 * `burst` tokens and refills at `requestsPerSecond`. A request takes one token or learns when the next one comes.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly requestsPerSecond: number,
    private readonly burst: number,
    private readonly maxBuckets = 10_000,
  ) {}

  /** 0 when allowed (a token was taken), else the milliseconds until a token is available. */
  take(id: string, now = performance.now()): number {
    let bucket = this.#buckets.get(id);
    if (!bucket) {
      if (this.#buckets.size >= this.maxBuckets) this.#evictFull(now);
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.requestsPerSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / this.requestsPerSecond) * 1000);
  }

  // A full bucket is the same as no bucket, so dropping those bounds memory without changing any answer.
  #evictFull(now: number): void {
    for (const [id, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.requestsPerSecond >= this.burst) this.#buckets.delete(id);
    }
    if (this.#buckets.size >= this.maxBuckets) this.#buckets.clear();
  }
}
