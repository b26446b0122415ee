/** What the ready queue needs to know of a job. */
export interface ReadyItem {
  /** Submission order: FIFO within a priority follows it, not the order prepare() finished in. */
  readonly seq: number;
  /** 0 = high, 1 = normal. */
  readonly rank: 0 | 1;
  /** performance.now() when prepare() resolved (only kept when a queue delay is configured). */
  readyAt: number;
}

/**
 * Jobs whose payload is prepared, in batch order: every `high` job before every `normal` one, each lane in
 * submission order. Small arrays, no per-operation allocation except the batch `take()` hands out.
 */
export class ReadyQueue<T extends ReadyItem> {
  readonly #lanes: [T[], T[]] = [[], []];

  get size(): number {
    return this.#lanes[0].length + this.#lanes[1].length;
  }

  /** The item at `index` in batch order (0 <= index < size). */
  at(index: number): T {
    const high = this.#lanes[0];
    return (index < high.length ? high[index] : this.#lanes[1][index - high.length]) as T;
  }

  push(item: T): void {
    const lane = this.#lanes[item.rank];
    // Jobs mostly become ready in submission order: walk back from the tail.
    let i = lane.length;
    while (i > 0 && (lane[i - 1] as T).seq > item.seq) i--;
    if (i === lane.length) lane.push(item);
    else lane.splice(i, 0, item);
  }

  /** Removes the item if it is queued (deadline passed, evicted, unloading). */
  remove(item: T): void {
    const lane = this.#lanes[item.rank];
    const i = lane.indexOf(item);
    if (i >= 0) lane.splice(i, 1);
  }

  /** Removes and returns the first `count` items in batch order. */
  take(count: number): T[] {
    const [high, normal] = this.#lanes;
    if (high.length === 0) return normal.splice(0, count);
    const out = high.splice(0, count);
    if (out.length < count) for (const item of normal.splice(0, count - out.length)) out.push(item);
    return out;
  }

  /** The earliest `readyAt` of all queued items (Infinity when empty). */
  oldestReadyAt(): number {
    let oldest = Infinity;
    for (const lane of this.#lanes) for (const item of lane) if (item.readyAt < oldest) oldest = item.readyAt;
    return oldest;
  }
}
