// Load for bench:scheduling: closed loop (N clients, each sends its next request when the last answered) and open
// loop (requests at a fixed rate whatever the answers, as overload arrives in production).
import { Pool } from 'undici';

export interface LoadResult {
  /** Latency of each 200 answer, ms. */
  okMs: number[];
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** TCH_ERR_* codes of the refusals. */
  codes: Record<string, number>;
  seconds: number;
  /** Mean rows per session call, from the `batch` entry of Server-Timing, per answered request. */
  meanBatchRows: number | undefined;
}

export class LoadTarget {
  readonly #pool: Pool;
  constructor(
    readonly origin: string,
    private readonly headers: Record<string, string>,
    connections: number,
  ) {
    this.#pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async #one(path: string, body: Uint8Array, into: LoadResult, batches: number[]): Promise<void> {
    const started = performance.now();
    const res = await this.#pool.request({
      method: 'POST',
      path,
      headers: { ...this.headers, 'content-type': 'image/jpeg' },
      body,
    });
    const text = await res.body.text();
    const ms = performance.now() - started;
    into.statuses[res.statusCode] = (into.statuses[res.statusCode] ?? 0) + 1;
    if (res.statusCode === 200) {
      into.okMs.push(ms);
      const timing = res.headers['server-timing'];
      const rows = typeof timing === 'string' ? /batch;desc="?(\d+)/.exec(timing)?.[1] : undefined;
      if (rows !== undefined) batches.push(Number(rows));
    } else {
      const code = (JSON.parse(text) as { code?: string }).code ?? 'none';
      into.codes[code] = (into.codes[code] ?? 0) + 1;
    }
  }

  /** `concurrency` loops, each sending `perClient` requests back to back. */
  async closedLoop(path: string, body: Uint8Array, concurrency: number, perClient: number): Promise<LoadResult> {
    const result: LoadResult = { okMs: [], statuses: {}, codes: {}, seconds: 0, meanBatchRows: undefined };
    const batches: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = 0; i < perClient; i++) await this.#one(path, body, result, batches);
      }),
    );
    result.seconds = (performance.now() - started) / 1000;
    result.meanBatchRows = batches.length > 0 ? batches.reduce((s, v) => s + v, 0) / batches.length : undefined;
    return result;
  }

  /** `ratePerSecond` requests a second for `seconds`, sent on schedule whether or not earlier ones answered. */
  async openLoop(path: string, body: Uint8Array, ratePerSecond: number, seconds: number): Promise<LoadResult> {
    const result: LoadResult = { okMs: [], statuses: {}, codes: {}, seconds: 0, meanBatchRows: undefined };
    const batches: number[] = [];
    const total = Math.round(ratePerSecond * seconds);
    const interval = 1000 / ratePerSecond;
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(this.#one(path, body, result, batches).catch(() => undefined));
    }
    await Promise.all(inFlight);
    result.seconds = (performance.now() - started) / 1000;
    result.meanBatchRows = batches.length > 0 ? batches.reduce((s, v) => s + v, 0) / batches.length : undefined;
    return result;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
